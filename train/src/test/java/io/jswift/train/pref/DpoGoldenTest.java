package io.jswift.train.pref;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Encoded;
import io.jswift.train.run.Objective;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.jswift.train.testing.GradAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One DPO step on a fixed batch against TRL 1.13 DPOTrainer + PEFT (tools/fixtures/dpo_fixtures.py): loss, the
 * gradient of every trainable parameter and every metric TRL logs, for LoRA / DoRA (reference = adapter disabled)
 * and full training (reference = frozen copy of the starting checkpoint), each loss type and rpo_alpha.
 */
class DpoGoldenTest {
    static final Path FIXTURES = Path.of("src/test/resources/rlhf").toAbsolutePath();
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();

    static CausalLm load(Path dir, boolean trainable) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, trainable)).model();
    }

    static List<PreferencePair> pairs(JsonNode examples) {
        List<PreferencePair> out = new ArrayList<>();
        for (JsonNode e : examples) out.add(new PreferencePair(sequence(e.get("prompt_ids"), e.get("chosen_ids")), sequence(e.get("prompt_ids"), e.get("rejected_ids"))));
        return out;
    }

    static Encoded sequence(JsonNode prompt, JsonNode completion) {
        int n = prompt.size() + completion.size();
        int[] ids = new int[n], labels = new int[n];
        for (int i = 0; i < prompt.size(); i++) {
            ids[i] = prompt.get(i).asInt();
            labels[i] = Encoded.IGNORE;
        }
        for (int i = 0; i < completion.size(); i++) ids[prompt.size() + i] = labels[prompt.size() + i] = completion.get(i).asInt();
        return new Encoded(ids, labels);
    }

    static DpoLoss loss(JsonNode settings) {
        List<DpoLoss.Term> terms = new ArrayList<>();
        JsonNode weights = settings.get("loss_weights");
        for (int i = 0; i < settings.get("loss_type").size(); i++) {
            terms.add(new DpoLoss.Term(DpoLoss.Type.parse(settings.get("loss_type").get(i).asText()), weights.isNull() ? 1.0 : weights.get(i).asDouble()));
        }
        return new DpoLoss(terms, settings.get("beta").asDouble(), settings.get("label_smoothing").asDouble());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora_sigmoid", "dora_sigmoid", "lora_rpo", "lora_ipo", "lora_hinge", "lora_robust", "full_sigmoid", "full_rpo"})
    void oneStepEqualsTrl(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        JsonNode fixture = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        JsonNode settings = fixture.get("settings");
        boolean full = settings.get("train_type").asText().equals("full");
        CausalLm policy;
        Reference reference;
        if (full) {
            policy = load(dir.resolve("policy"), true);
            reference = Reference.frozen(load(BASE, false));
        } else {
            policy = load(BASE, false);
            PeftAdapter.load(dir.resolve("adapter"), policy, new Generator(1));
            reference = Reference.adaptersDisabled(policy);
        }
        policy.train(true);
        List<PreferencePair> pairs = pairs(settings.get("examples"));
        Map<String, Tensor> expected = SafetensorsFile.open(dir.resolve("expected.safetensors")).tensors();
        Batch batch = PreferencePair.collate(pairs);
        assertArrayEquals(expected.get("input_ids").toLongArray(), batch.inputIds().toLongArray(), "collated as TRL's DataCollatorForPreference");

        DpoObjective objective = new DpoObjective(policy, reference, loss(settings), false);
        Objective.Step step = objective.forward(pairs, 1.0);
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
            Parameter p = e.getValue();
            if (!p.requiresGrad()) continue;
            String key = "grad." + (full ? "" : "base_model.model.") + e.getKey();
            Tensor want_ = expected.get(key);
            assertNotNull(want_, "TRL has a gradient for " + key);
            assertClose(want_.toFloatArray(), p.grad().toFloatArray(), key);
            checked++;
        }
        assertEquals(expected.keySet().stream().filter(k -> k.startsWith("grad.")).count(), checked, "every trainable parameter compared");
    }
}
