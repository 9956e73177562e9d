package io.jswift.models.arch;

import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.MlaConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.config.MoeConfig;
import io.jswift.nn.Yarn;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DeepSeek-V2 / V3 config.json files as the Hub ships them (transformers 4 keys: rope_scaling with "type"). */
class DeepseekConfigTest {
    @TempDir
    Path dir;

    private DecoderConfig read(String json) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        return ((ModelConfig.Decoder) Architectures.readConfig(dir)).config();
    }

    /** DeepSeek-V3's config.json: q LoRA, YaRN (factor 40, mscale = mscale_all_dim = 1), sigmoid routing in 8 groups. */
    @Test
    void deepseekV3AsOnTheHub() throws Exception {
        DecoderConfig c = read("""
                {"architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432,
                 "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_nextn_predict_layers": 1, "num_attention_heads": 128,
                 "num_key_value_heads": 128, "n_shared_experts": 1, "n_routed_experts": 256, "routed_scaling_factor": 2.5,
                 "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
                 "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8, "first_k_dense_replace": 3,
                 "norm_topk_prob": true, "scoring_func": "sigmoid", "max_position_embeddings": 163840, "rope_theta": 10000,
                 "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                                  "original_max_position_embeddings": 4096, "type": "yarn"},
                 "rms_norm_eps": 1e-06, "tie_word_embeddings": false, "torch_dtype": "bfloat16"}""");
        assertEquals(new MlaConfig(1536, 512, 128, 64, 128, false, true), c.attention().mla());
        assertEquals(192, c.attention().headDim());
        assertEquals(64, c.rotaryDim());
        double m = Yarn.mscale(40, 1);
        assertEquals(m * m / Math.sqrt(192), c.attention().scale(), 1e-15);
        assertEquals(new Yarn(40, 4096, 32, 1, 1.0, true), c.rope().yarn());
        MoeConfig moe = c.moe();
        assertEquals(MoeConfig.Scoring.SIGMOID, moe.scoring());
        assertEquals(List.of(256, 8, 8, 4, 2048), List.of(moe.numExperts(), moe.topK(), moe.nGroup(), moe.topkGroup(), moe.shared().intermediate()));
        assertEquals(2.5, moe.routedScaling());
        assertTrue(!moe.sparse(2) && moe.sparse(3));
    }

    /** DeepSeek-V2-Lite's: q_proj (q_lora_rank null), greedy softmax routing, YaRN with mscale = mscale_all_dim = 0.707. */
    @Test
    void deepseekV2LiteAsOnTheHub() throws Exception {
        String json = """
                {"architectures": ["DeepseekV2ForCausalLM"], "vocab_size": 102400, "hidden_size": 2048, "intermediate_size": 10944,
                 "moe_intermediate_size": 1408, "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
                 "n_shared_experts": 2, "n_routed_experts": 64, "routed_scaling_factor": 1.0, "kv_lora_rank": 512, "q_lora_rank": null,
                 "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128, "topk_method": "greedy", "n_group": 1,
                 "topk_group": 1, "num_experts_per_tok": 6, "first_k_dense_replace": 1, "norm_topk_prob": false,
                 "scoring_func": "softmax", "max_position_embeddings": 163840, "rope_theta": 10000,
                 "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
                                  "original_max_position_embeddings": 4096, "type": "yarn"},
                 "rms_norm_eps": 1e-06, "torch_dtype": "bfloat16"}""";
        DecoderConfig c = read(json);
        assertEquals(new MlaConfig(0, 512, 128, 64, 128, false, true), c.attention().mla());
        double m = Yarn.mscale(40, 0.707);
        assertEquals(m * m / Math.sqrt(192), c.attention().scale(), 1e-15);
        assertEquals(MoeConfig.Scoring.SOFTMAX_GROUP_MAX, c.moe().scoring());
        assertEquals(List.of(64, 6, 1, 1), List.of(c.moe().numExperts(), c.moe().topK(), c.moe().nGroup(), c.moe().topkGroup()));
        assertTrue(!c.moe().normTopkProb() && !c.moe().hasLoadBalancingLoss());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(json.replace("\"greedy\"", "\"noaux_tc\"")));
        assertEquals(dir.resolve("config.json") + ": 'topk_method' must be greedy or group_limited_greedy (as transformers' DeepseekV2TopkRouter), got 'noaux_tc'",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read(json.replace("\"num_key_value_heads\": 16", "\"num_key_value_heads\": 8")));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": num_key_value_heads (8) must equal num_attention_heads (16)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read(json.replace("\"num_experts_per_tok\": 6,", "")));
        assertEquals(dir.resolve("config.json") + ": missing key 'num_experts_per_tok' (DeepSeek-V2 has no default)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read(json.replace("\"greedy\", \"n_group\": 1", "\"group_limited_greedy\", \"n_group\": 3")));
        assertTrue(e.getMessage().contains("n_group must divide the 64 experts"), e.getMessage());
    }

    /**
     * ms-swift + PEFT 0.21 turn all-linear on DeepSeek into the latent projections plus the fused experts (target_parameters);
     * the plain all-linear LoRA (every linear layer) wraps the latent projections.
     */
    @Test
    void loraOnLatentAttention() throws Exception {
        var model = FamilyGoldenTest.load("deepseek-v2-f32", false);
        LoraConfig resolved = PeftAllLinear.resolve(model, new LoraConfig(2, 4, 0, false, false, List.of(LoraConfig.ALL_LINEAR)));
        assertEquals(List.of("kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_proj"), resolved.targetModules());
        assertEquals(List.of("down_proj", "gate_up_proj"), resolved.targetParameters());
        LoraInjector.inject(model, new LoraConfig(2, 4, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), new Generator(1));
        Set<String> leaves = new TreeSet<>();
        for (String path : LoraInjector.find(model).keySet()) leaves.add(path.substring(path.lastIndexOf('.') + 1));
        // the nn.Linear layers of this checkpoint (q_proj: no q LoRA), all listed in the registry
        assertEquals(new TreeSet<>(List.of("q_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj", "down_proj")), leaves);
        assertTrue(Architectures.find("DeepseekV2ForCausalLM").orElseThrow().allLinearTargets().containsAll(leaves));
        assertNull(model.namedParameters().get("model.layers.0.self_attn.q_a_proj.weight"));
    }
}
