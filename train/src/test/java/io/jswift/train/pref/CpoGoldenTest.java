package io.jswift.train.pref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.CausalLm;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.run.Objective;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.jswift.train.testing.GradAssert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One CPO / SimPO step on a fixed batch against TRL 1.13 CPOTrainer + PEFT (tools/fixtures/cpo_fixtures.py): loss,
 * every trainable parameter's gradient and every stored metric, LoRA and full, each loss type, cpo_alpha 0 and not; and
 * (tools/fixtures/pref_padding_fixtures.py, "padded_*") sequences of different lengths, whose padding positions enter
 * logits/chosen and logits/rejected.
 */
class CpoGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"lora_cpo_sigmoid", "lora_simpo", "lora_cpo_hinge", "lora_cpo_ipo", "full_simpo", "full_cpo",
            "padded_lora_cpo_sigmoid", "padded_full_simpo"})
    void oneStepEqualsTrl(String name) throws Exception {
        Path dir = DpoGoldenTest.FIXTURES.resolve(name);
        JsonNode fixture = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        JsonNode settings = fixture.get("settings");
        boolean full = settings.get("train_type").asText().equals("full");
        CausalLm policy;
        if (full) {
            policy = DpoGoldenTest.load(dir.resolve("policy"), true);
        } else {
            policy = DpoGoldenTest.load(DpoGoldenTest.BASE, false);
            PeftAdapter.load(dir.resolve("adapter"), policy, new Generator(1));
        }
        policy.train(true);
        List<PreferencePair> pairs = DpoGoldenTest.pairs(settings.get("examples"));
        Map<String, Tensor> expected = SafetensorsFile.open(dir.resolve("expected.safetensors")).tensors();
        assertArrayEquals(expected.get("input_ids").toLongArray(), PreferencePair.collate(pairs).inputIds().toLongArray());

        CpoLoss loss = new CpoLoss(CpoLoss.Type.parse(settings.get("loss_type").asText()), settings.get("beta").asDouble(),
                settings.get("label_smoothing").asDouble(), settings.get("simpo_gamma").asDouble(), settings.get("cpo_alpha").asDouble());
        Objective.Step step = new CpoObjective(policy, loss, false).forward(pairs, 1.0);
        step.loss().backward();
        double want = expected.get("loss").item();
        assertEquals(want, step.loss().value().item(), 2e-5 * Math.max(1, Math.abs(want)), "loss");

        JsonNode metrics = fixture.get("metrics");
        List<String> keys = new ArrayList<>();
        metrics.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys, new ArrayList<>(step.metrics().keySet()), "the metrics TRL stores, in its order");
        for (var e : step.metrics().entrySet()) {
            double m = metrics.get(e.getKey()).asDouble();
            assertEquals(m, e.getValue(), 1e-4 * Math.max(1, Math.abs(m)), e.getKey());
        }
        int checked = 0;
        for (var e : policy.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (!p.requiresGrad()) continue;
            String key = "grad." + (full ? "" : "base_model.model.") + e.getKey();
            assertNotNull(expected.get(key), "TRL has a gradient for " + key);
            GradAssert.assertClose(expected.get(key).toFloatArray(), p.grad().toFloatArray(), key);
            checked++;
        }
        assertTrue(checked > 0);
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, "every trainable parameter compared");
    }
}
