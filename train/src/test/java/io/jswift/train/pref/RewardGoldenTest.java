package io.jswift.train.pref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Linear;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.encode.Encoded;
import io.jswift.train.optim.ParamGroup;
import io.jswift.train.optim.Sgd;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.jswift.train.testing.GradAssert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One reward-model step on a fixed batch against TRL 1.13 RewardTrainer + transformers' Qwen2ForSequenceClassification
 * + PEFT SEQ_CLS (tools/fixtures/rm_fixtures.py): the rewards (score at the last non-pad token), the loss with and
 * without center_rewards_coefficient, every metric TRL logs, the gradient of every trainable parameter (LoRA's and
 * the whole score head, or every weight), and the rewards after one SGD step.
 */
class RewardGoldenTest {
    static final Path FIXTURES = Path.of("src/test/resources/rm").toAbsolutePath();

    static DecoderClassifier policy(Path dir, boolean full, int pad) throws Exception {
        if (full) return ((LoadedModel.SequenceClassifier) ModelLoader.load(dir.resolve("policy"), true)).model();
        CausalLm base = ((LoadedModel.CausalLm) ModelLoader.load(DpoGoldenTest.BASE, false)).model();
        DecoderClassifier c = new DecoderClassifier(base, new Linear(base.config().hiddenSize(), 1, false, null), pad);
        PeftAdapter.load(dir.resolve("adapter"), c, new Generator(1));
        c.score().requiresGrad(true); // trained whole (PEFT's modules_to_save)
        return c;
    }

    static List<PreferencePair> pairs(JsonNode examples) {
        List<PreferencePair> out = new ArrayList<>();
        for (JsonNode e : examples) out.add(new PreferencePair(sequence(e.get("chosen_ids")), sequence(e.get("rejected_ids"))));
        return out;
    }

    static Encoded sequence(JsonNode ids) {
        int[] x = new int[ids.size()];
        for (int i = 0; i < x.length; i++) x[i] = ids.get(i).asInt();
        return new Encoded(x, x.clone());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora", "lora_center", "full", "full_center"})
    void oneStepEqualsTrl(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        JsonNode fixture = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        JsonNode settings = fixture.get("settings");
        boolean full = settings.get("train_type").asText().equals("full");
        DecoderClassifier policy = policy(dir, full, settings.get("pad_token_id").asInt());
        assertEquals(settings.get("pad_token_id").asInt(), policy.padTokenId(), "pad id from the saved config");
        policy.train(true);
        List<PreferencePair> pairs = pairs(settings.get("examples"));
        Map<String, Tensor> expected = SafetensorsFile.open(dir.resolve("expected.safetensors")).tensors();
        assertArrayEquals(expected.get("input_ids").toLongArray(), PreferencePair.collate(pairs).inputIds().toLongArray());
        // transformers' own pooling of the padded batch picks the same tokens (pad 0 never occurs in a sequence)
        JsonNode c = settings.get("center_rewards_coefficient");
        RewardObjective objective = new RewardObjective(policy, new RewardLoss(c.isNull() ? null : c.asDouble()), false);

        Objective.Step step = objective.forward(pairs, 1.0);
        step.loss().backward();
        double want = expected.get("loss").item();
        assertEquals(want, step.loss().value().item(), 2e-5 * Math.max(1, Math.abs(want)), "loss");
        try (var ignored = GradMode.noGrad()) {
            GradAssert.assertClose(expected.get("rewards").toFloatArray(), objective.rewards(pairs, false).value().toFloatArray(), "rewards");
        }
        JsonNode metrics = fixture.get("metrics");
        for (var e : step.metrics().entrySet()) {
            assertNotNull(metrics.get(e.getKey()), "TRL logs " + e.getKey());
            double m = metrics.get(e.getKey()).asDouble();
            assertEquals(m, e.getValue(), 1e-4 * Math.max(1, Math.abs(m)), e.getKey());
        }
        List<String> missing = new ArrayList<>();
        metrics.fieldNames().forEachRemaining(k -> { if (!step.metrics().containsKey(k) && !k.equals("num_tokens")) missing.add(k); });
        assertTrue(missing.isEmpty(), "metrics TRL logs and jswift does not: " + missing);

        Map<String, Parameter> trainable = new LinkedHashMap<>();
        for (var e : policy.namedParameters().entrySet()) {
            if (!e.getValue().requiresGrad()) continue;
            String key = "grad." + (full ? "" : "base_model.model.") + e.getKey();
            assertNotNull(expected.get(key), "TRL has a gradient for " + key);
            GradAssert.assertClose(expected.get(key).toFloatArray(), e.getValue().grad().toFloatArray(), key);
            trainable.put(e.getKey(), e.getValue());
        }
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), trainable.size(), "every trainable parameter compared");
        assertTrue(trainable.containsKey("score.weight"), "the score head trains");

        new Sgd(ParamGroup.decayMatricesOnly(trainable, 0), settings.get("lr").asDouble(), 0).step();
        try (var ignored = GradMode.noGrad()) {
            GradAssert.assertClose(expected.get("rewards_after").toFloatArray(), objective.rewards(pairs, false).value().toFloatArray(),
                    "rewards after one SGD step");
        }
    }

    @Test
    void lossAndGradientByHand() {
        RewardLoss plain = new RewardLoss(null), centred = new RewardLoss(0.1);
        double[] x = {0.3, -1.2, 0.5, 0.1}; // chosen 0.3, -1.2; rejected 0.5, 0.1
        double d0 = 0.3 - 0.5, d1 = -1.2 - 0.1;
        double want = (Math.log1p(Math.exp(-d0)) + Math.log1p(Math.exp(-d1))) / 2;
        assertEquals(want, plain.evaluate(x, null).loss(), 1e-12);
        double centre = 0.1 * ((0.8 * 0.8) + (1.1 * 1.1)) / 2;
        assertEquals(want + centre, centred.evaluate(x, null).loss(), 1e-12);
        assertEquals(want - 0, plain.evaluate(x, new double[]{0, 0}).loss(), 1e-12);
        // finite differences of the centred loss with margins
        double[] margins = {0.2, -0.4};
        double[] grad = centred.evaluate(x, margins).grad();
        for (int i = 0; i < x.length; i++) {
            double[] up = x.clone(), down = x.clone();
            up[i] += 1e-6;
            down[i] -= 1e-6;
            double fd = (centred.evaluate(up, margins).loss() - centred.evaluate(down, margins).loss()) / 2e-6;
            assertEquals(fd, grad[i], 1e-7, "d loss / d x[" + i + "]");
        }
        assertThrows(IllegalArgumentException.class, () -> new RewardLoss(-1.0));
    }
}
