package io.jswift.train.pref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.encode.Encoded;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One KTO step on a fixed batch mixing desirable and undesirable rows against TRL 1.13 KTOTrainer + PEFT
 * (tools/fixtures/kto_fixtures.py): the mismatched KL batch, loss, every metric TRL logs (the KL estimate included,
 * positive in one case and clamped at 0 in others) and every gradient, for LoRA (reference = adapter disabled) and full
 * training (reference = frozen copy), loss types kto and apo_zero_unpaired, desirable / undesirable weights.
 */
class KtoGoldenTest {
    static final Path FIXTURES = Path.of("src/test/resources/kto").toAbsolutePath();

    static List<KtoExample> examples(JsonNode list) {
        List<KtoExample> out = new ArrayList<>();
        for (JsonNode e : list) {
            Encoded s = DpoGoldenTest.sequence(e.get("prompt_ids"), e.get("completion_ids"));
            out.add(KtoExample.of(s, e.get("label").asBoolean()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora_kto", "lora_weights", "lora_apo_zero_unpaired", "full_kto"})
    void oneStepEqualsTrl(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        JsonNode fixture = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        JsonNode settings = fixture.get("settings");
        boolean full = settings.get("train_type").asText().equals("full");
        CausalLm policy;
        Reference reference;
        if (full) {
            policy = DpoGoldenTest.load(dir.resolve("policy"), true);
            reference = Reference.frozen(DpoGoldenTest.load(DpoGoldenTest.BASE, false));
        } else {
            policy = DpoGoldenTest.load(DpoGoldenTest.BASE, false);
            PeftAdapter.load(dir.resolve("adapter"), policy, new Generator(1));
            reference = Reference.adaptersDisabled(policy);
        }
        policy.train(true);
        List<KtoExample> rows = examples(settings.get("examples"));
        Map<String, Tensor> expected = SafetensorsFile.open(dir.resolve("expected.safetensors")).tensors();
        assertArrayEquals(expected.get("input_ids").toLongArray(), KtoExample.collate(rows).inputIds().toLongArray());
        if (expected.containsKey("KL_input_ids")) {
            assertArrayEquals(expected.get("KL_input_ids").toLongArray(), KtoExample.collateKl(rows, 1024).inputIds().toLongArray(),
                    "the mismatched pairs TRL forms");
        }
        KtoLoss loss = new KtoLoss(KtoLoss.Type.parse(settings.get("loss_type").asText()), settings.get("beta").asDouble(),
                settings.get("desirable_weight").asDouble(), settings.get("undesirable_weight").asDouble());
        KtoObjective objective = new KtoObjective(policy, reference, loss, 1024, false);
        Objective.Step step = objective.forward(rows, 1.0);
        step.loss().backward();
        double want = expected.get("loss").item();
        assertEquals(want, step.loss().value().item(), 2e-5 * Math.max(1, Math.abs(want)), "loss");

        JsonNode metrics = fixture.get("metrics");
        for (var e : step.metrics().entrySet()) {
            assertNotNull(metrics.get(e.getKey()), "TRL logs " + e.getKey());
            double m = metrics.get(e.getKey()).asDouble();
            assertEquals(m, e.getValue(), 1e-4 * Math.max(1, Math.abs(m)), e.getKey());
        }
        List<String> missing = new ArrayList<>();
        metrics.fieldNames().forEachRemaining(k -> { if (!step.metrics().containsKey(k) && !k.equals("num_tokens")) missing.add(k); });
        assertTrue(missing.isEmpty(), "metrics TRL logs and jswift does not: " + missing);

        int checked = 0;
        for (var e : policy.namedParameters().entrySet()) {
            if (!e.getValue().requiresGrad()) continue;
            String key = "grad." + (full ? "" : "base_model.model.") + e.getKey();
            assertNotNull(expected.get(key), "TRL has a gradient for " + key);
            GradAssert.assertClose(expected.get(key).toFloatArray(), e.getValue().grad().toFloatArray(), key);
            checked++;
        }
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, "every trainable parameter compared");
    }

    @Test
    void gradientIsTheLossDerivative() {
        double[] x = {-3.0, -5.5, -2.2, -7.1}, ref = {-3.4, -5.0, -2.0, -7.5};
        boolean[] desirable = {true, false, true, false};
        for (KtoLoss.Type type : KtoLoss.Type.values()) {
            KtoLoss loss = new KtoLoss(type, 0.7, 1.0, 1.33);
            double[] grad = loss.evaluate(x, ref, desirable, 0.3).grad();
            for (int i = 0; i < x.length; i++) {
                double[] up = x.clone(), down = x.clone();
                up[i] += 1e-6;
                down[i] -= 1e-6;
                double fd = (loss.evaluate(up, ref, desirable, 0.3).loss() - loss.evaluate(down, ref, desirable, 0.3).loss()) / 2e-6;
                assertEquals(fd, grad[i], 1e-8, type + " d loss / d x[" + i + "]");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> KtoLoss.Type.parse("bco"));
        assertThrows(IllegalArgumentException.class, () -> new KtoLoss(KtoLoss.Type.KTO, 0.1, -1, 1));
    }
}
