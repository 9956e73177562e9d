package io.jswift.models.config;

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
        return ((ModelConfig.Decoder) ModelConfig.read(fixture(name))).config();
    }

    @Test
    void llamaWithLlama3RopeParametersAndAttentionBias() throws Exception {
        DecoderConfig c = decoder("llama-f32");
        assertEquals(Architecture.LLAMA_FOR_CAUSAL_LM, c.architecture());
        assertEquals(16, c.headDim());
        assertEquals(2, c.numKvHeads());
        assertEquals("llama3", c.ropeScaling().type());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(64, c.ropeScaling().originalMaxPositionEmbeddings());
        assertTrue(c.qkvBias() && c.oProjBias() && c.tieWordEmbeddings());
        assertArrayEquals(new int[]{2}, c.eosTokenIds());
    }

    @Test
    void familiesDifferOnlyByFlags() throws Exception {
        DecoderConfig qwen2 = decoder("qwen2-f32"), qwen3 = decoder("qwen3-f32"), bf16 = decoder("qwen3-bf16");
        assertTrue(qwen2.qkvBias());
        assertFalse(qwen2.oProjBias() || qwen2.qkNorm());
        assertTrue(qwen3.qkNorm());
        assertEquals(32, qwen3.headDim()); // explicit head_dim, not hidden / heads = 16
        assertEquals(DType.BF16, bf16.dtype());
        assertEquals(DType.BF16, decoder("llama-bf16-sharded").dtype());
    }

    @Test
    void vitConfigs() throws Exception {
        VitConfig cls = ((ModelConfig.Vit) ModelConfig.read(fixture("vit-classifier-f32"))).config();
        assertEquals(5, cls.numLabels());
        assertEquals(16, cls.numPatches());
        assertEquals("gelu", cls.hiddenAct());
        VitConfig bare = ((ModelConfig.Vit) ModelConfig.read(fixture("vit-model-f32"))).config();
        assertEquals(0, bare.numLabels());
    }

    @Test
    void transformers4StyleKeys(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "torch_dtype": "bfloat16", "rope_theta": 1234.0,
                 "rope_scaling": {"type": "linear", "factor": 2.0}, "eos_token_id": [7, 8]}""");
        DecoderConfig c = ((ModelConfig.Decoder) ModelConfig.read(dir)).config();
        assertEquals(DType.BF16, c.dtype());
        assertEquals(1234.0, c.ropeTheta());
        assertEquals("linear", c.ropeScaling().type());
        assertEquals(2, c.numKvHeads());
        assertArrayEquals(new int[]{7, 8}, c.eosTokenIds());
    }

    @Test
    void clearErrors(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 10}");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ModelConfig.read(dir));
        assertEquals(dir.resolve("config.json") + ": missing key 'hidden_size'", missing.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"MistralForCausalLM\"]}");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ModelConfig.read(dir));
        assertTrue(unknown.getMessage().contains("unsupported architecture 'MistralForCausalLM' (supported: LlamaForCausalLM"), unknown.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [");
        IOException bad = assertThrows(IOException.class, () -> ModelConfig.read(dir));
        assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());

        assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelConfig.read(dir.resolve("nope")));
    }
}
