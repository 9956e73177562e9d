package io.jswift.models.load;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import io.jswift.tensor.testing.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MoE checkpoints: transformers 5's save_pretrained stores experts one tensor each (Mixtral: block_sparse_moe.experts.N.w1 /
 * w3 / w2), jswift holds them fused; written back they are what transformers wrote, and the fused layout loads too.
 */
class ExpertLayoutTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) throws Exception {
        return Path.of(ExpertLayoutTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
    }

    static CausalLm load(Path dir) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral-f32", "qwen2-moe-f32", "qwen3-moe-f32", "glm4-moe-f32", "deepseek-v2-f32", "deepseek-v3-f32", "qwen3-next-f32"})
    void writtenBackAsTransformersWroteIt(String name) throws Exception {
        Path base = fixture(name);
        ModelWriter.write(tmp.resolve("out"), base, load(base), DType.F32);
        SafetensorsFile hf = SafetensorsFile.open(base.resolve("model.safetensors"));
        SafetensorsFile ours = SafetensorsFile.open(tmp.resolve("out/model.safetensors"));
        TreeSet<String> expected = new TreeSet<>(hf.names());
        // GLM-4.5's multi-token-prediction layer and Qwen3-Next's mtp.* module are not loaded
        expected.removeIf(n -> n.startsWith("model.layers.3.") || n.startsWith("mtp."));
        assertEquals(expected, new TreeSet<>(ours.names()));
        for (String n : expected) assertArrayEquals(hf.tensor(n).toFloatArray(), ours.tensor(n).toFloatArray(), n);
    }

    /** A checkpoint in transformers 5's fused names (experts.gate_up_proj [E, 2I, C]) loads as it is. */
    @Test
    void theFusedLayoutLoadsToo() throws Exception {
        Path base = fixture("mixtral-f32");
        CausalLm model = load(base);
        Path fused = Files.createDirectories(tmp.resolve("fused"));
        SafetensorsWriter.write(fused.resolve("model.safetensors"), model.stateDict(), Map.of("format", "pt"));
        Files.copy(base.resolve("config.json"), fused.resolve("config.json"));
        assertTrue(SafetensorsFile.open(fused.resolve("model.safetensors")).contains("model.layers.0.mlp.experts.gate_up_proj"));
        Tensor ids = Tensor.ofLongs(new long[]{1, 17, 42, 99, 5}, 1, 5);
        try (var s = GradMode.noGrad()) {
            assertArrayEquals(model.forward(DecoderInput.of(ids)).value().toFloatArray(),
                    load(fused).forward(DecoderInput.of(ids)).value().toFloatArray());
        }
    }

    /**
     * Saved as bfloat16, the experts stay bf16 in memory (stacked from the per-expert tensors, not widened) and the grouped
     * GEMMs read them with f32 activations: logits within bf16 rounding of the f32 model's (Qwen2-MoE's routing margins
     * are wide enough here for bf16 to choose the same experts).
     */
    @Test
    void bf16CheckpointsRunWithBf16Experts() throws Exception {
        Path base = fixture("qwen2-moe-f32");
        CausalLm f32 = load(base);
        ModelWriter.write(tmp.resolve("bf16"), base, f32, DType.BF16);
        CausalLm bf16 = load(tmp.resolve("bf16"));
        assertEquals(DType.BF16, bf16.namedParameters().get("model.layers.2.mlp.experts.gate_up_proj").value().dtype());
        Tensor ids = Tensor.ofLongs(new long[]{1, 17, 42, 99, 5, 63, 120, 7}, 1, 8);
        try (var s = GradMode.noGrad()) {
            double err = TensorAssert.relL2(bf16.forward(DecoderInput.of(ids)).value(), f32.forward(DecoderInput.of(ids)).value());
            assertTrue(err < 3e-2, "bf16 vs f32 logits rel. L2 error " + err);
        }
    }

    /** GLM-4.5's correction bias stays float32 in a bf16 checkpoint, as transformers saves it (_keep_in_fp32_modules_strict). */
    @Test
    void theCorrectionBiasStaysFloat32() throws Exception {
        Path base = fixture("glm4-moe-f32");
        ModelWriter.write(tmp.resolve("bf16"), base, load(base), DType.BF16);
        SafetensorsFile saved = SafetensorsFile.open(tmp.resolve("bf16/model.safetensors"));
        assertEquals(DType.F32, saved.tensor("model.layers.1.mlp.gate.e_score_correction_bias").dtype());
        assertEquals(DType.BF16, saved.tensor("model.layers.1.mlp.gate.weight").dtype());
    }

    @Test
    void aMissingExpertProjectionIsNamed() throws Exception {
        Map<String, Tensor> state = new LinkedHashMap<>();
        SafetensorsFile hf = SafetensorsFile.open(fixture("qwen2-moe-f32").resolve("model.safetensors"));
        for (String n : hf.names()) if (!n.equals("model.layers.2.mlp.experts.3.up_proj.weight")) state.put(n, hf.tensor(n));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExpertLayout.QWEN2_MOE.toModule(state, "ckpt"));
        assertEquals("ckpt: model.layers.2.mlp.experts.3 lacks some of gate_proj, up_proj, down_proj (experts must be numbered 0..4 with all three)",
                e.getMessage());
    }

    @Test
    void layoutOfADenseFamilyIsIdentity() throws Exception {
        assertEquals(CheckpointLayout.IDENTITY, Architectures.layoutOf(load(fixture("mistral-f32"))));
    }
}
