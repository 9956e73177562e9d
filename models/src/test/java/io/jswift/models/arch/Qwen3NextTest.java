package io.jswift.models.arch;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.decoder.DecoderInit;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.load.ModelWriter;
import io.jswift.tensor.DType;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.ParamLoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen3-Next beyond the family goldens (FamilyGoldenTest: logits, cached decode, full and LoRA steps against transformers /
 * PEFT): its config, generation through the generator with left-padded batches and packed rows (the server's caches:
 * RecurrentStateCacheTest).
 */
class Qwen3NextTest {
    private static final String FIXTURE = "qwen3-next-f32";

    @TempDir
    Path dir;

    @Test
    void configSaysWhichLayersAreLinearAndHowTheFullOnesAttend() throws Exception {
        DecoderConfig c = FamilyGoldenTest.load(FIXTURE, false).config();
        assertEquals(List.of(true, true, false), c.linearAttention().linearLayers());
        assertEquals(2, c.linearAttention().numKeyHeads());
        assertEquals(4, c.linearAttention().numValueHeads());
        assertEquals(8 * 2 * 2 + 4 * 12, c.linearAttention().convChannels());
        assertTrue(c.attention().outputGate());
        assertTrue(c.norm().unitOffset(), "zero-centred (1 + w) norms");
        assertEquals(4, c.rotaryDim(), "partial_rotary_factor 0.25 of head_dim 16");
        assertEquals(List.of(true, false, true), c.moe().sparseLayers(), "mlp_only_layers [1]");
        assertTrue(c.moe().normTopkProb());
        assertTrue(c.moe().shared().gated());
    }

    /** Qwen3NextConfig's defaults: full_attention_interval 4, partial_rotary_factor 0.25, head_dim 256, norm_topk_prob true. */
    @Test
    void defaultsAreQwen3NextConfigs() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {"architectures": ["Qwen3NextForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 32,
                 "num_hidden_layers": 8, "num_attention_heads": 2, "num_key_value_heads": 1, "num_experts": 4, "num_experts_per_tok": 2}
                """);
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfigFile(file)).config();
        assertEquals(List.of(true, true, true, false, true, true, true, false), c.linearAttention().linearLayers());
        assertEquals(256, c.attention().headDim());
        assertEquals(64, c.rotaryDim());
        assertTrue(c.moe().normTopkProb());
        Files.writeString(file, """
                {"architectures": ["Qwen3NextForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 32, "head_dim": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "layer_types": ["linear_attention", "sliding_attention"]}
                """);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architectures.readConfigFile(file));
        assertEquals(file + ": 'layer_types' entries must be linear_attention or full_attention, got \"sliding_attention\"", e.getMessage());
    }

    /** Greedy decoding of a left-padded batch through the generator equals full forwards of each prompt alone. */
    @Test
    void generatorDecodesLeftPaddedBatchesAsFullForwards() throws Exception {
        CausalLm m = FamilyGoldenTest.load(FIXTURE, false);
        List<int[]> prompts = List.of(new int[]{5, 17, 99, 3, 42, 8, 77}, new int[]{11, 12}, new int[]{120, 4, 66, 9});
        List<TextGenerator.Result> batch = new TextGenerator(m, new int[0], null).generate(prompts, SamplingParams.greedy(5), null);
        for (int r = 0; r < prompts.size(); r++) assertArrayEquals(naiveGreedy(m, prompts.get(r), 5), batch.get(r).tokens(), "row " + r);
    }

    private static int[] naiveGreedy(CausalLm m, int[] prompt, int n) {
        List<Integer> seq = new ArrayList<>();
        for (int p : prompt) seq.add(p);
        int[] out = new int[n];
        try (var s = GradMode.noGrad()) {
            for (int i = 0; i < n; i++) {
                long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                Tensor logits = m.forward(DecoderInput.of(Tensor.ofLongs(ids, 1, ids.length))).value();
                out[i] = argmax(logits.select(0, 0).select(0, ids.length - 1).toFloatArray());
                seq.add(out[i]);
            }
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** A packed row (two samples, positions restarting, segment ids 1 and 2) equals each sample run alone. */
    @Test
    void packedSamplesDoNotSeeEachOther() throws Exception {
        CausalLm m = FamilyGoldenTest.load(FIXTURE, false);
        long[] a = {1, 17, 42, 99, 5}, b = {1, 63, 120, 7};
        long[] ids = new long[9], pos = new long[9];
        int[] seg = new int[9];
        for (int i = 0; i < 9; i++) {
            ids[i] = i < 5 ? a[i] : b[i - 5];
            pos[i] = i < 5 ? i : i - 5;
            seg[i] = i < 5 ? 1 : 2;
        }
        try (var s = GradMode.noGrad()) {
            Tensor packed = m.forward(new DecoderInput(Tensor.ofLongs(ids, 1, 9), Tensor.ofLongs(pos, 1, 9), Tensor.ofInts(seg, 1, 9), null, false)).value();
            Tensor first = m.forward(DecoderInput.of(Tensor.ofLongs(a, 1, 5))).value();
            Tensor second = m.forward(DecoderInput.of(Tensor.ofLongs(b, 1, 4))).value();
            assertTrue(relL2(packed.narrow(1, 0, 5), first) < 1e-5);
            assertTrue(relL2(packed.narrow(1, 5, 4), second) < 1e-5, "the second sample starts from a zero state");
        }
    }

    /**
     * ms-swift's all-linear list names the shared expert's gate_proj / up_proj / down_proj, which PEFT 0.21 converts on
     * qwen3_next into target_parameters on the fused experts (the shared expert's MLP then has no LoRA).
     */
    @Test
    void allLinearAdaptsTheFusedExpertsAsPeftConvertsMsSwiftsList() throws Exception {
        var model = FamilyGoldenTest.load(FIXTURE, false);
        LoraConfig c = PeftAllLinear.resolve(model, new LoraConfig(2, 4, 0, false, false, List.of(LoraConfig.ALL_LINEAR)));
        assertEquals(List.of("in_proj_ba", "in_proj_qkvz", "k_proj", "o_proj", "out_proj", "q_proj", "shared_expert_gate", "v_proj"),
                c.targetModules());
        assertEquals(List.of("down_proj", "gate_up_proj"), c.targetParameters());
        assertEquals(Map.of(".*\\.gate_up_proj", 4), c.rankPattern());
        LoraInjector.inject(model, c, new Generator(1));
        assertTrue(ParamLoraInjector.find(model).keySet().stream().allMatch(k -> k.contains("mlp.experts")));
        assertTrue(model.namedParameters().keySet().stream().noneMatch(k -> k.contains("shared_expert.down_proj.lora_A")));
    }

    /** A random model of the family (transformers' _init_weights: dt_bias 1, A_log = log U(0.01, 16), (1 + w) norms at 0). */
    @Test
    void newCausalLmInitializesEveryWeight() throws Exception {
        DecoderConfig c = FamilyGoldenTest.load(FIXTURE, false).config();
        CausalLm model = DecoderInit.initialize(Architectures.newCausalLm(c, null), 0.02, new Generator(3));
        var p = model.namedParameters();
        assertEquals(1.0, p.get("model.layers.0.linear_attn.dt_bias").value().toDoubleArray()[1]);
        double aLog = p.get("model.layers.1.linear_attn.A_log").value().toDoubleArray()[2];
        assertTrue(aLog >= Math.log(0.01) && aLog <= Math.log(16), "A_log " + aLog);
        assertEquals(0.0, p.get("model.layers.2.input_layernorm.weight").value().toDoubleArray()[0]);
        assertEquals(1.0, p.get("model.layers.0.linear_attn.norm.weight").value().toDoubleArray()[0]);
        assertFalse(p.get("model.layers.0.linear_attn.conv1d.weight").value().isMeta());
    }

    /**
     * Saved as bfloat16, the frozen weights stay bf16 and compute as their f32 values do, as transformers computes
     * A_log.float().exp() and the norms' (1 + weight.float()): the same logits as the same rounded weights widened to f32.
     */
    @Test
    void bf16WeightsComputeAsTheirF32Values() throws Exception {
        Path base = FamilyGoldenTest.fixture(FIXTURE);
        ModelWriter.write(dir.resolve("bf16"), base, FamilyGoldenTest.load(FIXTURE, false), DType.BF16);
        CausalLm half = ((LoadedModel.CausalLm) ModelLoader.load(dir.resolve("bf16"), false)).model();
        CausalLm wide = ((LoadedModel.CausalLm) ModelLoader.load(dir.resolve("bf16"), false)).model();
        assertEquals(DType.BF16, half.namedParameters().get("model.layers.0.linear_attn.A_log").value().dtype());
        for (var p : wide.namedParameters().values()) p.setValue(p.value().to(DType.F32));
        Tensor ids = SafetensorsFile.open(base.resolve("expected.safetensors")).tensor("input_ids");
        try (var s = GradMode.noGrad()) {
            double err = relL2(half.forward(DecoderInput.of(ids)).value(), wide.forward(DecoderInput.of(ids)).value());
            assertTrue(err < 1e-5, "bf16 vs widened logits rel. L2 error " + err);
        }
    }
}
