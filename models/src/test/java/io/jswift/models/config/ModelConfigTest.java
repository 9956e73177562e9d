package io.jswift.models.config;

import io.jswift.models.arch.Architectures;
import io.jswift.nn.Activation;
import io.jswift.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    static Path fixture(String name) throws URISyntaxException {
        return Path.of(ModelConfigTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
    }

    private static DecoderConfig decoder(String name) throws Exception {
        return ((ModelConfig.Decoder) Architectures.readConfig(fixture(name))).config();
    }

    @Test
    void llamaWithLlama3RopeParametersAndAttentionBias() throws Exception {
        DecoderConfig c = decoder("llama-f32");
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals(16, c.attention().headDim());
        assertEquals(2, c.attention().numKvHeads());
        assertEquals("llama3", c.rope().scaling().type());
        assertEquals(500000.0, c.rope().theta());
        assertEquals(64, c.rope().scaling().originalMaxPositionEmbeddings());
        assertTrue(c.attention().qkvBias() && c.attention().oProjBias() && c.tieWordEmbeddings());
        assertEquals(Activation.SILU, c.mlp().activation());
        assertEquals(0, c.attention().windowOf(0));
        assertArrayEquals(new int[]{2}, c.eosTokenIds());
    }

    @Test
    void familiesDifferOnlyByFlags() throws Exception {
        DecoderConfig qwen2 = decoder("qwen2-f32"), qwen3 = decoder("qwen3-f32"), bf16 = decoder("qwen3-bf16");
        assertTrue(qwen2.attention().qkvBias());
        assertFalse(qwen2.attention().oProjBias());
        assertEquals(QkNorm.NONE, qwen2.attention().qkNorm());
        assertEquals(QkNorm.PER_HEAD, qwen3.attention().qkNorm());
        assertEquals(32, qwen3.attention().headDim()); // explicit head_dim, not hidden / heads = 16
        assertEquals(DType.BF16, bf16.dtype());
        assertEquals(DType.BF16, decoder("llama-bf16-sharded").dtype());
    }

    @Test
    void vitConfigs() throws Exception {
        VitConfig cls = ((ModelConfig.Vit) Architectures.readConfig(fixture("vit-classifier-f32"))).config();
        assertEquals(5, cls.numLabels());
        assertEquals(16, cls.numPatches());
        assertEquals("gelu", cls.hiddenAct());
        VitConfig bare = ((ModelConfig.Vit) Architectures.readConfig(fixture("vit-model-f32"))).config();
        assertEquals(0, bare.numLabels());
    }

    @Test
    void transformers4StyleKeys(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "torch_dtype": "bfloat16", "rope_theta": 1234.0,
                 "rope_scaling": {"type": "linear", "factor": 2.0}, "eos_token_id": [7, 8]}""");
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
        assertEquals(DType.BF16, c.dtype());
        assertEquals(1234.0, c.rope().theta());
        assertEquals("linear", c.rope().scaling().type());
        assertEquals(2, c.attention().numKvHeads());
        assertArrayEquals(new int[]{7, 8}, c.eosTokenIds());
    }

    @Test
    void clearErrors(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 10}");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Architectures.readConfig(dir));
        assertEquals(dir.resolve("config.json") + ": missing key 'hidden_size'", missing.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"FalconForCausalLM\"]}");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Architectures.readConfig(dir));
        assertEquals(dir.resolve("config.json") + ": unsupported architecture 'FalconForCausalLM' (supported: " + Architectures.supported() + ")",
                unknown.getMessage());
        assertTrue(Architectures.supported().startsWith("LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM"), Architectures.supported());
        assertFalse(unknown.getMessage().contains("\n"), "one line");

        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [");
        IOException bad = assertThrows(IOException.class, () -> Architectures.readConfig(dir));
        assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());

        assertThrows(java.nio.file.NoSuchFileException.class, () -> Architectures.readConfig(dir.resolve("nope")));
    }
}
