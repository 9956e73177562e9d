package io.jswift.models.arch;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The families of tools/fixtures/make_family_models.py against transformers / PEFT in float64: logits and loss, KV-cache
 * decode against the full forward, every weight's gradient and the loss after one SGD step (full), and the same for an
 * all-linear LoRA adapter PEFT saved.
 */
class FamilyGoldenTest {
    private static final double SGD_LR = 0.05; // as the fixture script

    /** Each exercises what is peculiar to its family (see the fixture script). */
    static Stream<String> families() {
        return Stream.of("mistral-f32", "olmo2-f32", "glm4-f32", "phi3-f32", "gemma2-f32", "gemma3-f32", "qwen2-swa-f32",
                "hunyuan-dense-f32", // tools/fixtures/make_hunyuan_models.py
                "mixtral-f32", "qwen2-moe-f32", "qwen3-moe-f32", "glm4-moe-f32", // the MoE families: tools/fixtures/make_moe_models.py
                "deepseek-v2-f32", "deepseek-v3-f32", // tools/fixtures/make_deepseek_models.py
                "gpt-oss-f32", // tools/fixtures/make_gpt_oss_models.py
                "qwen3-next-f32"); // tools/fixtures/make_qwen3next_models.py
    }

    static Path fixture(String name) throws Exception {
        return Path.of(FamilyGoldenTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
    }

    static CausalLm load(String name, boolean trainable) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(fixture(name), trainable)).model();
    }

    @ParameterizedTest
    @MethodSource("families")
    void logitsAndLossMatchTransformers(String name) throws Exception {
        CausalLm model = load(name, false);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        try (var s = GradMode.noGrad()) {
            Variable logits = model.forward(DecoderInput.of(ids));
            double err = relL2(logits.value().reshape(ids.size(1), -1), exp.tensor("logits"));
            assertTrue(err < 1e-4, name + " logits rel. L2 error " + err);
            double loss = CausalLmLoss.apply(logits, ids, null).value().item();
            assertEquals(exp.tensor("loss").item(), loss, 1e-5 * Math.abs(loss), name + " loss");
        }
    }

    /**
     * Prefill of T - 4 tokens (past Mistral's window of 4 and Phi-3's LongRoPE switch at 8), then one token at a time:
     * every step equals the full forward's row.
     */
    @ParameterizedTest
    @MethodSource("families")
    void kvCacheDecodeEqualsTheFullForward(String name) throws Exception {
        CausalLm model = load(name, false);
        Tensor ids = SafetensorsFile.open(fixture(name).resolve("expected.safetensors")).tensor("input_ids");
        int t = ids.size(1), prefix = t - 4;
        try (var s = GradMode.noGrad()) {
            Tensor full = model.forward(DecoderInput.of(ids)).value();
            KvCache cache = model.newCache(1, t);
            Tensor first = model.forward(new DecoderInput(ids.narrow(1, 0, prefix).contiguous(), null, null, cache, false)).value();
            assertTrue(relL2(first, full.narrow(1, 0, prefix)) < 1e-5, "prefill logits equal the first rows");
            for (int i = prefix; i < t; i++) {
                Tensor step = model.forward(new DecoderInput(ids.narrow(1, i, 1).contiguous(), null, null, cache, false)).value();
                double err = relL2(step, full.narrow(1, i, 1));
                assertTrue(err < 1e-5, name + " decode step " + i + " rel. error " + err);
            }
        }
    }

    /** LongRoPE: an input within the original context takes the short factors, as transformers does. */
    @Test
    void longRopeShortInputsUseTheShortFactors() throws Exception {
        CausalLm model = load("phi3-f32", false);
        SafetensorsFile exp = SafetensorsFile.open(fixture("phi3-f32").resolve("expected.safetensors"));
        Tensor shortIds = exp.tensor("input_ids").narrow(1, 0, 6).contiguous();
        try (var s = GradMode.noGrad()) {
            Tensor logits = model.forward(DecoderInput.of(shortIds)).value();
            double err = relL2(logits.reshape(6, -1), exp.tensor("short_logits"));
            assertTrue(err < 1e-4, "short-context logits rel. L2 error " + err);
            // a cached decode from 6 to 13 positions crosses the switch at 8: refused, not silently mixed
            KvCache cache = model.newCache(1, 13);
            model.forward(new DecoderInput(shortIds, null, null, cache, false));
            Tensor more = exp.tensor("input_ids").narrow(1, 6, 3).contiguous();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.forward(new DecoderInput(more, null, null, cache, false)));
            assertTrue(e.getMessage().contains("LongRoPE switches to its long factors past 8 positions"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void fullTrainingStepMatchesTorchAutograd(String name) throws Exception {
        CausalLm model = load(name, true);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null).backward();
        Map<String, Parameter> params = new LinkedHashMap<>(model.namedParameters());
        params.values().removeIf(Parameter::isBuffer); // torch buffers (GLM-4.5's e_score_correction_bias) take no gradient
        for (var e : params.entrySet()) {
            double err = relL2(e.getValue().grad(), exp.tensor("grad." + e.getKey()));
            assertTrue(err < 1e-4, name + " grad of " + e.getKey() + " rel. L2 error " + err);
        }
        assertEquals(exp.names().stream().filter(n -> n.startsWith("grad.")).count(), params.size(), "every weight torch has");
        assertSgdStep(model, new ArrayList<>(params.values()), ids, exp.tensor("loss_after_sgd").item(), name + " full");
    }

    @ParameterizedTest
    @MethodSource("families")
    void loraTrainingStepMatchesPeft(String name) throws Exception {
        CausalLm model = load(name, false);
        Path adapter = fixture(name).resolve("lora");
        PeftAdapter.load(adapter, model);
        SafetensorsFile exp = SafetensorsFile.open(adapter.resolve("lora_expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        Variable logits = model.forward(DecoderInput.of(ids));
        double err = relL2(logits.value().reshape(ids.size(1), -1), exp.tensor("logits"));
        assertTrue(err < 1e-4, name + " LoRA logits rel. L2 error " + err);
        Variable loss = CausalLmLoss.apply(logits, ids, null);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "LoRA loss");
        loss.backward();
        List<Parameter> adapterParams = new ArrayList<>();
        for (var e : LoraInjector.find(model).entrySet()) {
            for (var p : e.getValue().adapterParameters().entrySet()) {
                String key = "grad.base_model.model." + e.getKey() + "." + p.getKey();
                double g = relL2(p.getValue().grad(), exp.tensor(key));
                assertTrue(g < 1e-4, key + " rel. L2 error " + g);
                adapterParams.add(p.getValue());
            }
        }
        assertEquals(exp.names().stream().filter(n -> n.startsWith("grad.")).count(), adapterParams.size(), "every adapter gradient PEFT recorded");
        assertSgdStep(model, adapterParams, ids, exp.tensor("loss_after_sgd").item(), name + " LoRA");
    }

    /** p -= lr · grad for {@code params}, then the loss equals torch's after the same step. */
    private static void assertSgdStep(CausalLm model, List<Parameter> params, Tensor ids, double expected, String what) {
        for (Parameter p : params) {
            Tensor w = p.value();
            double[] v = w.toDoubleArray(), g = p.grad().toDoubleArray();
            for (int i = 0; i < v.length; i++) v[i] -= SGD_LR * g[i];
            w.backend().copy(Tensor.of(v, w.shape()).to(w.dtype()), w);
        }
        try (var s = GradMode.noGrad()) {
            double loss = CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null).value().item();
            assertEquals(expected, loss, 1e-5 * Math.abs(expected), what + " loss after one SGD step");
        }
    }
}
