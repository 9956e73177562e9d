package io.jswift.models.adapter;

import io.jswift.models.CausalLm;
import io.jswift.models.arch.PeftAllLinear;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.nn.lora.ParamLoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.jswift.models.adapter.PeftGoldenTest.logits;
import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PEFT 0.21's LoRA on fused MoE expert parameters (target_parameters), on Qwen3-MoE (experts [E, out, in]) and GPT-OSS
 * (is_transposed: [E, in, out]); goldens from tools/fixtures/peft_target_parameters_fixtures.py. PEFT's adapters load
 * and give its logits, loss and LoRA gradients; jswift saves them back under PEFT's keys and values; merging gives PEFT's
 * merge_and_unload weights and an export that reloads to the same logits.
 */
class PeftTargetParametersGoldenTest {
    @TempDir
    Path tmp;

    private static Path fixture(String name) { return AdapterFixtures.resources().resolve("peft-target-parameters").resolve(name); }

    private static SafetensorsFile expected(String name) throws Exception {
        return SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
    }

    @ParameterizedTest
    @CsvSource({"qwen3-moe, qwen3-moe-f32, 1", "gpt-oss, gpt-oss-f32, 2"})
    void logitsLossAndLoraGradientsEqualPeft(String name, String base, int moeLayers) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        LoraConfig config = PeftAdapter.load(fixture(name).resolve("both"), model);
        assertEquals(List.of("mlp.experts.down_proj", "mlp.experts.gate_up_proj"), config.targetParameters());
        assertEquals(2 * moeLayers, ParamLoraInjector.find(model).size());
        SafetensorsFile exp = expected(name);
        Tensor ids = exp.tensor("input_ids");
        double err = relL2(logits(model, ids), exp.tensor("logits"));
        assertTrue(err < 1e-4, name + " logits rel. L2 error " + err);

        var loss = CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "loss");
        loss.backward();
        Map<String, Parameter> params = model.namedParameters();
        int checked = 0;
        for (String key : exp.names()) {
            if (!key.startsWith("grad.")) continue;
            Parameter p = params.get(key.substring("grad.base_model.model.".length()));
            assertTrue(p != null, key + " has no parameter in jswift's model");
            double g = relL2(p.grad(), exp.tensor(key));
            assertTrue(g < 1e-4, key + " rel. L2 error " + g);
            checked++;
        }
        assertEquals(4 * moeLayers + 4, checked, "the expert adapters' and q_proj's gradients");
        assertTrue(params.get("model.layers.1.mlp.experts.gate_up_proj").grad() == null, "the fused experts stay frozen");
    }

    /**
     * all-linear on qwen3-moe-f32 (layer 0 dense) as ms-swift + PEFT make it: the attention projections by name, the
     * experts' gate_up_proj (rank 2r, alpha 2·alpha) and down_proj as target parameters, the dense MLP not adapted; the
     * same keys and shapes as PEFT's adapter, whose logits, loss and gradients jswift reproduces after loading it.
     */
    @Test
    void allLinearOnQwen3MoeIsMsSwiftsListAsPeftConvertsIt() throws Exception {
        Path dir = fixture("qwen3-moe").resolve("all-linear");
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-moe-f32"));
        LoraConfig resolved = PeftAllLinear.resolve(model, new LoraConfig(2, 6, 0, false, false, List.of(LoraConfig.ALL_LINEAR)));
        PeftAdapterConfig peft = PeftAdapterConfig.read(dir.resolve(PeftAdapterConfig.FILE));
        assertEquals(new TreeSet<>(peft.targetModules()), new TreeSet<>(resolved.targetModules()));
        assertEquals(new TreeSet<>(peft.targetParameters()), new TreeSet<>(resolved.targetParameters()));
        assertEquals(peft.rankPattern(), resolved.rankPattern());
        assertEquals(peft.alphaPattern(), resolved.alphaPattern());
        var dropout = assertThrows(IllegalArgumentException.class,
                () -> PeftAllLinear.resolve(model, new LoraConfig(2, 6, 0.05, false, false, List.of(LoraConfig.ALL_LINEAR))));
        assertTrue(dropout.getMessage().startsWith("--target_modules all-linear on Qwen3MoeForCausalLM: PEFT 0.21 adapts the fused experts'"),
                dropout.getMessage());

        LoraInjector.inject(model, resolved, new Generator(3));
        Path saved = tmp.resolve("ours");
        PeftAdapter.save(saved, model, resolved, "qwen3-moe-f32");
        Map<String, Tensor> theirs = SafetensorsFile.open(dir.resolve(PeftAdapter.WEIGHTS)).tensors();
        Map<String, Tensor> ours = SafetensorsFile.open(saved.resolve(PeftAdapter.WEIGHTS)).tensors();
        assertEquals(new TreeSet<>(theirs.keySet()), new TreeSet<>(ours.keySet()));
        for (var e : theirs.entrySet()) assertArrayEquals(e.getValue().shape(), ours.get(e.getKey()).shape(), e.getKey());
        PeftAdapterConfig written = PeftAdapterConfig.read(saved.resolve(PeftAdapterConfig.FILE));
        assertEquals(peft.rankPattern(), written.rankPattern());
        assertEquals(peft.alphaPattern(), written.alphaPattern());

        CausalLm loaded = AdapterFixtures.load(AdapterFixtures.model("qwen3-moe-f32"));
        PeftAdapter.load(dir, loaded);
        assertEquals(4, ParamLoraInjector.find(loaded).get("model.layers.1.mlp.experts.base_layer").rank(), "gate_up_proj: rank_pattern 2r");
        SafetensorsFile exp = SafetensorsFile.open(dir.resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        double err = relL2(logits(loaded, ids), exp.tensor("logits"));
        assertTrue(err < 1e-4, "logits rel. L2 error " + err);
        var loss = CausalLmLoss.apply(loaded.forward(DecoderInput.of(ids)), ids, null);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "loss");
        loss.backward();
        Map<String, Parameter> params = loaded.namedParameters();
        for (String key : exp.names()) {
            if (!key.startsWith("grad.")) continue;
            double g = relL2(params.get(key.substring("grad.base_model.model.".length())).grad(), exp.tensor(key));
            assertTrue(g < 1e-4, key + " rel. L2 error " + g);
        }
    }

    @ParameterizedTest
    @CsvSource({"qwen3-moe, qwen3-moe-f32", "gpt-oss, gpt-oss-f32"})
    void aDownProjOnlyAdapterKeepsItsKeysOnTheExpertsModule(String name, String base) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(fixture(name).resolve("down"), model);
        assertTrue(ParamLoraInjector.find(model).keySet().stream().allMatch(k -> k.endsWith("mlp.experts")));
        SafetensorsFile exp = expected(name);
        double err = relL2(logits(model, exp.tensor("input_ids")), exp.tensor("down.logits"));
        assertTrue(err < 1e-4, name + " down_proj adapter logits rel. L2 error " + err);
    }

    /** Saved by jswift: the same keys, shapes and values as PEFT's file, target_parameters in the config, and it loads back. */
    @ParameterizedTest
    @CsvSource({"qwen3-moe, qwen3-moe-f32", "gpt-oss, gpt-oss-f32"})
    void savedAdapterIsPeftsFileAndLoadsBack(String name, String base) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        LoraConfig config = PeftAdapter.load(fixture(name).resolve("both"), model);
        Path out = tmp.resolve("saved");
        PeftAdapter.save(out, model, config, base);
        Map<String, Tensor> peft = SafetensorsFile.open(fixture(name).resolve("both").resolve(PeftAdapter.WEIGHTS)).tensors();
        Map<String, Tensor> ours = SafetensorsFile.open(out.resolve(PeftAdapter.WEIGHTS)).tensors();
        assertEquals(new TreeSet<>(peft.keySet()), new TreeSet<>(ours.keySet()));
        for (var e : peft.entrySet()) assertEquals(0, relL2(ours.get(e.getKey()), e.getValue()), e.getKey());
        PeftAdapterConfig read = PeftAdapterConfig.read(out.resolve(PeftAdapterConfig.FILE));
        assertEquals(config.targetParameters(), read.targetParameters());
        assertEquals(List.of("q_proj"), read.targetModules());

        CausalLm fresh = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(out, fresh);
        Tensor ids = expected(name).tensor("input_ids");
        assertEquals(0, relL2(logits(fresh, ids), logits(model, ids)));
    }

    @ParameterizedTest
    @CsvSource({"qwen3-moe, qwen3-moe-f32", "gpt-oss, gpt-oss-f32"})
    void mergeGivesPeftsMergedExpertsAndAnExportThatReloads(String name, String base) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(fixture(name).resolve("both"), model);
        SafetensorsFile exp = expected(name);
        Tensor ids = exp.tensor("input_ids");
        LoraMerge.mergeAndUnload(model);
        assertTrue(ParamLoraInjector.find(model).isEmpty());
        int checked = 0;
        for (String key : exp.names()) {
            if (!key.startsWith("merged.")) continue;
            Tensor w = model.namedParameters().get(key.substring("merged.".length())).value();
            double err = relL2(w, exp.tensor(key));
            assertTrue(err < 1e-6, key + " rel. L2 error " + err);
            checked++;
        }
        assertTrue(checked >= 2, "merged expert weights compared");
        double err = relL2(logits(model, ids), exp.tensor("logits"));
        assertTrue(err < 1e-4, name + " merged logits rel. L2 error " + err);

        Path out = tmp.resolve("export");
        ModelWriter.write(out, AdapterFixtures.model(base), model, model.config().dtype());
        CausalLm reloaded = AdapterFixtures.load(out);
        double reloadErr = relL2(logits(reloaded, ids), logits(model, ids));
        assertTrue(reloadErr < 1e-6, "the export holds the merged experts: rel. L2 " + reloadErr);
    }

    /** Multi-adapter serving batches per-request linear deltas only: an expert adapter is refused by name and leaves nothing on the model. */
    @Test
    void multiAdapterServingRefusesAnExpertAdapter() throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-moe-f32"));
        Path both = fixture("qwen3-moe").resolve("both");
        var e = assertThrows(IllegalArgumentException.class, () -> ServedAdapters.load(model, Map.of("experts", both)));
        assertTrue(e.getMessage().startsWith(both + ": the adapter has target_parameters"), e.getMessage());
        assertTrue(ParamLoraInjector.find(model).isEmpty() && LoraInjector.find(model).isEmpty());
    }

    /**
     * With the experts the only adapted part (no LoRA upstream, so the MoE layer's input needs no gradient), training
     * still goes through the adapted experts: the loss reaches lora_A / lora_B, and a no-grad forward sees the adapter.
     */
    @Test
    void anExpertsOnlyAdapterTrainsAndIsSeenWithoutGradients() throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-moe-f32"));
        Tensor ids = expected("qwen3-moe").tensor("input_ids");
        Tensor base = logits(model, ids);
        LoraInjector.inject(model, new LoraConfig(2, 6, 0, false, false, List.of(), List.of("mlp.experts.down_proj")), new Generator(4));
        Parameter b = model.namedParameters().get("model.layers.1.mlp.experts.lora_B.weight");
        float[] values = new float[(int) b.numel()];
        for (int i = 0; i < values.length; i++) values[i] = 0.05f * ((i % 7) - 3);
        b.setValue(Tensor.of(values, b.shape()));
        assertTrue(relL2(logits(model, ids), base) > 1e-4, "a no-grad forward applies the adapter");
        var loss = CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null);
        loss.backward();
        for (String name : List.of("lora_A.weight", "lora_B.weight")) {
            Tensor g = model.namedParameters().get("model.layers.1.mlp.experts." + name).grad();
            assertTrue(g != null && Arrays.stream(g.toDoubleArray()).anyMatch(v -> v != 0), name + " has a gradient");
        }
    }
}
