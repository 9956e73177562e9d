package io.jswift.models.arch;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.config.QkNorm;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HunYuan-7B's config.json as the Hub ships it (transformers 4 keys), and the limits of its NTK-alpha rope. */
class HunyuanConfigTest {
    @TempDir
    Path dir;

    private static final String HUB = """
            {"architectures": ["HunYuanDenseV1ForCausalLM"], "vocab_size": 128167, "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "attention_bias": false,
             "mlp_bias": false, "max_position_embeddings": 262144, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "rope_scaling": {"alpha": 50.0, "beta_fast": 32, "beta_slow": 1, "factor": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0,
                              "type": "dynamic"}, "tie_word_embeddings": true, "torch_dtype": "bfloat16"}""";

    private DecoderConfig read(String json) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        return ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
    }

    @Test
    void ntkAlphaBaseAsTransformersComputesIt() throws Exception {
        DecoderConfig c = read(HUB);
        assertEquals(50.0, c.rope().ntkAlpha());
        assertEquals(10000.0 * Math.pow(50.0, 128.0 / 126), c.rope().base(128), 1e-6);
        assertEquals(QkNorm.PER_HEAD_AFTER_ROPE, c.attention().qkNorm());
        assertFalse(c.mlp().bias() || c.attention().qkvBias());
        assertTrue(c.tieWordEmbeddings());
        // "dynamic" without alpha is transformers' plain dynamic NTK: refused
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(HUB.replace("\"alpha\": 50.0, ", "")));
        assertTrue(e.getMessage().contains("unsupported rope scaling type 'dynamic'"), e.getMessage());
        // a plain rope parses as Llama's
        assertEquals(0.0, read(HUB.replaceAll("\"rope_scaling\": \\{[^}]*},", "")).rope().ntkAlpha());
    }

    /** Past max_position_embeddings transformers recomputes the frequencies as dynamic NTK without alpha: refused with the reason. */
    @Test
    void positionsPastTheContextAreRefused() throws Exception {
        Path fixture = FamilyGoldenTest.fixture("hunyuan-dense-f32");
        Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(fixture.resolve("config.json"))
                .replace("\"max_position_embeddings\": 256", "\"max_position_embeddings\": 6"));
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        try (var s = GradMode.noGrad()) {
            model.forward(DecoderInput.of(Tensor.ofLongs(new long[]{1, 2, 3, 4, 5, 6}, 1, 6)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(DecoderInput.of(Tensor.ofLongs(new long[]{1, 2, 3, 4, 5, 6, 7}, 1, 7))));
            assertTrue(e.getMessage().startsWith("positions up to 6 exceed max_position_embeddings (6) of the NTK-alpha rope"), e.getMessage());
        }
    }
}
