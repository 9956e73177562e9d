package io.jswift.models.load;

import static io.jswift.tensor.testing.TensorAssert.relL2;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Logits, loss and gradients against what transformers computed (tools/fixtures/make_tiny_models.py). */
class HfGoldenTest {
    static Path fixture(String name) throws Exception {
        return Path.of(HfGoldenTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
    }

    static SafetensorsFile expected(String name) throws Exception {
        return SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
    }

    @ParameterizedTest
    @CsvSource({"llama-f32, 1e-4", "llama-bf16-sharded, 1e-3", "qwen2-f32, 1e-4", "qwen3-f32, 1e-4", "qwen3-bf16, 1e-3"})
    void causalLmLogitsAndLossMatchTransformers(String name, double tolerance) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(fixture(name), false)).model();
        SafetensorsFile exp = expected(name);
        Tensor ids = exp.tensor("input_ids");
        try (var s = GradMode.noGrad()) {
            Variable logits = model.forward(DecoderInput.of(ids));
            double err = relL2(logits.value().reshape(ids.size(1), -1), exp.tensor("logits"));
            assertTrue(err < tolerance, name + " logits rel. L2 error " + err);
            double loss = CausalLmLoss.apply(logits, ids, null).value().item();
            assertEquals(exp.tensor("loss").item(), loss, 1e-4 * Math.abs(loss), name + " loss");
        }
    }

    @ParameterizedTest
    @CsvSource({"llama-f32", "qwen2-f32", "qwen3-f32"})
    void gradientsOfEveryWeightMatchTorchAutograd(String name) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(fixture(name), true)).model();
        SafetensorsFile exp = expected(name);
        Tensor ids = exp.tensor("input_ids");
        CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null).backward();
        Map<String, Parameter> params = model.namedParameters();
        int checked = 0;
        for (var e : params.entrySet()) {
            Tensor expectedGrad = exp.tensor("grad." + e.getKey());
            double err = relL2(e.getValue().grad(), expectedGrad);
            assertTrue(err < 1e-4, name + " grad of " + e.getKey() + " rel. L2 error " + err);
            checked++;
        }
        assertTrue(checked >= 20, "checked " + checked + " parameters");
    }

    /** HF's logits_to_keep: the last k rows of the full logits, for tied (Qwen3) and untied (Llama) heads. */
    @ParameterizedTest
    @CsvSource({"qwen3-f32", "llama-f32"})
    void logitsToKeepReturnsTheLastRows(String name) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(fixture(name), false)).model();
        Tensor ids = expected(name).tensor("input_ids");
        int t = ids.size(1);
        try (var s = GradMode.noGrad()) {
            Tensor full = model.forward(DecoderInput.of(ids)).value();
            for (int k : new int[] {1, 3, t, t + 5}) {
                Tensor last = model.forward(DecoderInput.of(ids), k).value();
                int kept = Math.min(k, t);
                assertEquals(kept, last.size(1));
                assertTrue(relL2(last, full.narrow(1, t - kept, kept)) < 1e-6, name + " logitsToKeep " + k);
            }
        }
    }

    @Test
    void kvCacheDecodeEqualsTheFullForward() throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(fixture("qwen3-f32"), false)).model();
        Tensor ids = expected("qwen3-f32").tensor("input_ids");
        int t = ids.size(1);
        try (var s = GradMode.noGrad()) {
            Tensor full = model.forward(DecoderInput.of(ids)).value();
            var cache = model.newCache(1, t);
            Tensor prefix = model.forward(new DecoderInput(ids.narrow(1, 0, 4).contiguous(), null, null, cache, false)).value();
            assertTrue(relL2(prefix, full.narrow(1, 0, 4)) < 1e-5, "prefix logits equal the first rows");
            for (int i = 4; i < t; i++) {
                Tensor step = model.forward(new DecoderInput(ids.narrow(1, i, 1).contiguous(), null, null, cache, false)).value();
                double err = relL2(step, full.narrow(1, i, 1));
                assertTrue(err < 1e-5, "decode step " + i + " rel. error " + err);
            }
        }
    }

    @Test
    void vitMatchesTransformers() throws Exception {
        SafetensorsFile exp = expected("vit-classifier-f32");
        var cls = ((LoadedModel.VitClassifier) ModelLoader.load(fixture("vit-classifier-f32"), false)).model();
        try (var s = GradMode.noGrad()) {
            Tensor logits = cls.forward(Variable.constant(exp.tensor("pixel_values"))).value();
            assertTrue(relL2(logits.reshape(-1), exp.tensor("logits")) < 1e-4, "classifier logits");
        }
        SafetensorsFile bare = expected("vit-model-f32");
        var vit = ((LoadedModel.Vit) ModelLoader.load(fixture("vit-model-f32"), false)).model();
        try (var s = GradMode.noGrad()) {
            Variable h = vit.forward(Variable.constant(bare.tensor("pixel_values")));
            assertTrue(relL2(h.value().reshape(17, 64), bare.tensor("last_hidden_state")) < 1e-4, "last hidden state");
            assertTrue(relL2(vit.pool(h).value().reshape(-1), bare.tensor("pooler_output")) < 1e-4, "pooler output");
        }
    }

    @Test
    void bf16WeightsStayBf16AndMemoryMapped() throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(fixture("qwen3-bf16"), false)).model();
        assertEquals(DType.BF16, model.namedParameters().get("model.layers.0.mlp.up_proj.weight").value().dtype());
    }
}
