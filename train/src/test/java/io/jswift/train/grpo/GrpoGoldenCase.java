package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.jswift.train.testing.GradAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * One GRPO golden case as the TRL fixture scripts write it (tools/fixtures/grpo_fixtures.py, grpo_split_fixtures.py):
 * {@code case.json} (the settings), the PEFT {@code adapter/} and {@code expected.safetensors}; the policy is the tiny
 * Qwen2 with that adapter, in training mode.
 */
record GrpoGoldenCase(JsonNode settings, CausalLm policy, Map<String, Tensor> expected) {
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();

    static GrpoGoldenCase load(Path dir) throws Exception {
        JsonNode settings = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
        CausalLm policy = ((LoadedModel.CausalLm) ModelLoader.load(BASE, false)).model();
        PeftAdapter.load(dir.resolve("adapter"), policy, new Generator(1));
        policy.train(true);
        return new GrpoGoldenCase(settings, policy, SafetensorsFile.open(dir.resolve("expected.safetensors")).tensors());
    }

    /** The case's sampling temperature (the log-probs are of logits / temperature); nothing else of it is read. */
    SamplingParams sampling() {
        return new SamplingParams(8, settings.get("temperature").asDouble(), 0, 1, 1, 0, List.of());
    }

    /** Each trainable weight's gradient against TRL's {@code grad.base_model.model.<name>}; returns how many were compared. */
    int assertLoraGradients() {
        int checked = 0;
        for (var e : policy.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (!p.requiresGrad()) continue;
            Tensor w = expected.get("grad.base_model.model." + e.getKey());
            assertNotNull(w, "TRL has a gradient for " + e.getKey());
            assertClose(w.toFloatArray(), p.grad().toFloatArray(), e.getKey());
            checked++;
        }
        return checked;
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
