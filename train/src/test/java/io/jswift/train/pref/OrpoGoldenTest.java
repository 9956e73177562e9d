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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import io.jswift.train.testing.GradAssert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One ORPO step on a fixed batch against TRL 1.13 ORPOTrainer + PEFT (tools/fixtures/orpo_fixtures.py): loss, every
 * trainable parameter's gradient and every stored metric, LoRA and full, with sequences of one length and of different
 * lengths (tools/fixtures/pref_padding_fixtures.py, "padded_*": padding positions enter logits/*); the loss's gradient by
 * finite differences.
 */
class OrpoGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"lora_orpo", "full_orpo", "padded_lora_orpo", "padded_full_orpo"})
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
        Objective.Step step = new OrpoObjective(policy, new OrpoLoss(settings.get("beta").asDouble()), false).forward(pairs, 1.0);
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
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, "every trainable parameter compared");
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        long[] counts = {4, 7, 3, 6, 2, 5}, wide = {9, 12, 8};
        Random r = new Random(3);
        double[] x = new double[9];
        for (int i = 0; i < 6; i++) x[i] = -1.5 * counts[i] + r.nextGaussian();
        for (int i = 0; i < 3; i++) x[6 + i] = x[i] - 10 + r.nextGaussian();
        OrpoLoss loss = new OrpoLoss(0.3);
        double[] grad = loss.evaluate(x, counts, wide).grad();
        for (int i = 0; i < x.length; i++) {
            double h = 1e-6, keep = x[i];
            x[i] = keep + h;
            double up = loss.evaluate(x, counts, wide).loss();
            x[i] = keep - h;
            double down = loss.evaluate(x, counts, wide).loss();
            x[i] = keep;
            double numeric = (up - down) / (2 * h);
            assertEquals(numeric, grad[i], 1e-6 + 1e-5 * Math.abs(numeric), "element " + i);
        }
        assertTrue(OrpoLoss.log1mexp(-1e-9) < -15 && Math.abs(OrpoLoss.log1mexp(-30)) < 1e-12, "log1mexp is stable at both ends");
    }
}
