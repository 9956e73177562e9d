package io.jswift.models.arch;

import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.decoder.DecoderInit;
import io.jswift.nn.Activation;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry: one entry per name, its all-linear targets are what PEFT's rule wraps, configs parse per family. */
class ArchitecturesTest {
    @TempDir
    Path dir;

    @Test
    void namesAreUniqueAndCausalLmsAreListed() {
        Set<String> seen = new HashSet<>();
        for (Architecture a : Architectures.all()) assertTrue(seen.add(a.hfName()), "listed twice: " + a.hfName());
        assertEquals("LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM, Olmo2ForCausalLM, Glm4ForCausalLM, Phi3ForCausalLM, Gemma2ForCausalLM, "
                + "Gemma3ForCausalLM, HunYuanDenseV1ForCausalLM, MixtralForCausalLM, Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, Glm4MoeForCausalLM, Qwen3NextForCausalLM, DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, GptOssForCausalLM, Qwen2VLForConditionalGeneration, Qwen2_5_VLForConditionalGeneration",
                Architectures.supportedCausalLms());
        assertTrue(Architectures.supported().endsWith("ViTModel, ViTForImageClassification"), Architectures.supported());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architectures.of("GPT2LMHeadModel", dir));
        assertEquals(dir + ": unsupported architecture 'GPT2LMHeadModel' (supported: " + Architectures.supported() + ")", e.getMessage());
    }

    /** PEFT's all-linear on each family's tiny checkpoint wraps exactly the layers the registry lists. */
    @ParameterizedTest
    @CsvSource({"llama-f32, LlamaForCausalLM", "qwen2-f32, Qwen2ForCausalLM", "qwen3-f32, Qwen3ForCausalLM", "mistral-f32, MistralForCausalLM",
            "olmo2-f32, Olmo2ForCausalLM", "glm4-f32, Glm4ForCausalLM", "phi3-f32, Phi3ForCausalLM", "gemma2-f32, Gemma2ForCausalLM",
            "gemma3-f32, Gemma3ForCausalLM", "mixtral-f32, MixtralForCausalLM", "qwen2-moe-f32, Qwen2MoeForCausalLM", "qwen3-moe-f32, Qwen3MoeForCausalLM",
            "glm4-moe-f32, Glm4MoeForCausalLM", "hunyuan-dense-f32, HunYuanDenseV1ForCausalLM", "gpt-oss-f32, GptOssForCausalLM",
            "qwen3-next-f32, Qwen3NextForCausalLM"})
    void allLinearTargetsAreWhatLoraWraps(String fixture, String arch) throws Exception {
        CausalLm model = FamilyGoldenTest.load(fixture, false);
        assertEquals(arch, model.config().architecture());
        LoraInjector.inject(model, new LoraConfig(2, 4, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), new Generator(1));
        Set<String> leaves = new TreeSet<>();
        for (String path : LoraInjector.find(model).keySet()) leaves.add(path.substring(path.lastIndexOf('.') + 1));
        assertEquals(new TreeSet<>(Architectures.find(arch).orElseThrow().allLinearTargets()), leaves);
    }

    /**
     * ms-swift's all-linear is a list of linear-layer names; on Mixtral it names the attention only, which PEFT 0.21 does not
     * convert (the experts stay unadapted) and jswift saves as that list; Qwen2-MoE (not converted by PEFT) keeps all-linear.
     */
    @Test
    void allLinearOnMoeFamiliesIsMsSwiftsList() throws Exception {
        LoraConfig all = new LoraConfig(2, 4, 0.05, false, false, List.of(LoraConfig.ALL_LINEAR));
        LoraConfig mixtral = PeftAllLinear.resolve(FamilyGoldenTest.load("mixtral-f32", false), all);
        assertEquals(List.of("k_proj", "o_proj", "q_proj", "v_proj"), mixtral.targetModules());
        assertTrue(mixtral.targetParameters().isEmpty());
        assertEquals(all, PeftAllLinear.resolve(FamilyGoldenTest.load("qwen2-moe-f32", false), all));
    }

    @Test
    void newCausalLmBuildsTheFamilyWithRandomWeights() throws Exception {
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfig(FamilyGoldenTest.fixture("mistral-f32"))).config();
        CausalLm model = DecoderInit.initialize(Architectures.newCausalLm(c, null), 0.02, new Generator(7));
        assertEquals(c, model.config());
        assertFalse(model.namedParameters().get("model.layers.1.mlp.down_proj.weight").value().isMeta());
        // Gemma's (1 + w) norms start at w = 0, as its _init_weights; Llama-style ones at 1
        DecoderConfig gemma = ((ModelConfig.Decoder) Architectures.readConfig(FamilyGoldenTest.fixture("gemma2-f32"))).config();
        CausalLm g = DecoderInit.initialize(Architectures.newCausalLm(gemma, null), 0.02, new Generator(7));
        assertEquals(0.0, g.namedParameters().get("model.layers.0.pre_feedforward_layernorm.weight").value().toDoubleArray()[3]);
        assertEquals(1.0, model.namedParameters().get("model.layers.0.input_layernorm.weight").value().toDoubleArray()[3]);
    }

    /** Phi-3 checkpoints written by transformers 4: rope_scaling with type "su", original_max_position_embeddings at the top. */
    @Test
    void longRopeInTheTransformers4Layout() throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Phi3ForCausalLM"], "vocab_size": 10, "hidden_size": 16, "intermediate_size": 16,
                 "num_hidden_layers": 1, "num_attention_heads": 2, "max_position_embeddings": 131072,
                 "original_max_position_embeddings": 4096, "sliding_window": 262144,
                 "rope_scaling": {"type": "su", "short_factor": [1, 1, 1, 1], "long_factor": [2, 3, 4, 5]}}""");
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
        assertEquals(4096, c.rope().longRope().originalMaxPositionEmbeddings());
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), c.rope().longRope().attentionFactor(), 1e-12);
        assertTrue(c.attention().fusedQkv() && c.mlp().fusedGateUp());
        assertEquals(262144, c.attention().windowOf(0));
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("[2, 3, 4, 5]", "[2, 3]"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architectures.readConfig(dir));
        assertTrue(e.getMessage().contains("short_factor and long_factor differ in length"), e.getMessage());
    }

    /** Gemma 3 configs of transformers 4: rope_theta + rope_scaling for full layers, rope_local_base_freq for sliding ones. */
    @Test
    void gemma3RopePerLayerTypeInTheTransformers4Layout() throws Exception {
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Gemma3ForCausalLM"], "vocab_size": 10, "hidden_size": 16, "intermediate_size": 16,
                 "num_hidden_layers": 7, "num_attention_heads": 2, "head_dim": 8, "sliding_window": 512, "query_pre_attn_scalar": 8,
                 "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
                 "sliding_window_pattern": 6}""");
        DecoderConfig c = ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
        assertEquals(10000.0, c.rope().localTheta());
        assertEquals(1000000.0, c.rope().theta());
        assertEquals("linear", c.rope().scaling().type());
        assertEquals(List.of(true, true, true, true, true, false, true), c.attention().slidingLayers());
        assertTrue(c.norm().unitOffset() && c.tieWordEmbeddings());
        assertEquals(Activation.GELU_TANH, c.mlp().activation()); // Gemma's default hidden_activation
        assertEquals(4.0, c.scaling().embeddingScale());
    }

    @Test
    void slidingLayersPerFamily() throws Exception {
        DecoderConfig mistral = ((ModelConfig.Decoder) Architectures.readConfig(FamilyGoldenTest.fixture("mistral-f32"))).config();
        assertEquals(4, mistral.attention().windowOf(0));
        assertEquals(4, mistral.attention().windowOf(1));
        // Qwen2 slides from max_window_layers on, and only with use_sliding_window
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 3, "num_attention_heads": 2, "use_sliding_window": true, "sliding_window": 5,
                 "max_window_layers": 1, "hidden_act": "gelu"}""");
        DecoderConfig qwen2 = ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
        assertEquals(List.of(false, true, true), qwen2.attention().slidingLayers());
        assertEquals(5, qwen2.attention().windowOf(2));
        assertEquals(Activation.GELU, qwen2.mlp().activation());
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "use_sliding_window": false, "sliding_window": 5,
                 "layer_types": ["sliding_attention", "sliding_attention"]}""");
        assertEquals(List.of(false, false), ((ModelConfig.Decoder) Architectures.readConfig(dir)).config().attention().slidingLayers());
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["MistralForCausalLM"], "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_act": "swiglu9"}""");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architectures.readConfig(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": unsupported hidden_act 'swiglu9'"), e.getMessage());
    }
}
