package io.jswift.models.config;

import io.jswift.models.config.LlamaFlowConfigs.Delta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * config.json parsers of the Mixture-of-Experts families whose attention is a Llama-flow family's (transformers'
 * modular files say the same): Mixtral = Mistral + experts (num_local_experts, top-k renormalized); Qwen2-MoE = Qwen2
 * (qkv_bias) + experts with a gated shared expert, sliding on the even layers below max_window_layers; Qwen3-MoE = Qwen3
 * (per-head q/k norms) + experts. Qwen's decoder_sparse_step and mlp_only_layers keep some layers dense (intermediate_size);
 * GLM-4.5 routes by sigmoid scores within expert groups.
 */
public final class MoeConfigs {
    private MoeConfigs() {}

    /** HF MixtralConfig: every layer sparse, intermediate_size is the experts', top-k renormalized (MixtralTopKRouter). */
    public static DecoderConfig mixtral(ConfigJson c) {
        if (c.optDouble("router_jitter_noise", 0) != 0) {
            throw new IllegalArgumentException(c.file() + ": router_jitter_noise > 0 (random multiplicative noise on the router input in training) is not supported; set it to 0.0");
        }
        int window = c.has("sliding_window") ? LlamaFlowConfigs.positive(c, "sliding_window") : 0;
        return LlamaFlowConfigs.decoder(c, Delta.llama(false).windows(window, layers -> Collections.nCopies(layers, window > 0)),
                layers -> MoeConfig.softmax(localExperts(c, 8), c.optInt("num_experts_per_tok", 2), c.requireInt("intermediate_size"),
                        true, null, Collections.nCopies(layers, true)));
    }

    /**
     * HF Qwen2MoeConfig: q/k/v biases per qkv_bias (default true); layer_types, else sliding where
     * use_sliding_window and the layer index is even and below max_window_layers; a shared expert of
     * shared_expert_intermediate_size gated by sigmoid(shared_expert_gate).
     */
    public static DecoderConfig qwen2Moe(ConfigJson c) {
        int window = LlamaFlowConfigs.qwenWindow(c);
        int maxWindowLayers = c.optInt("max_window_layers", 28);
        return LlamaFlowConfigs.decoder(c, Delta.llama(false).biases(c.optBool("qkv_bias", true), false)
                        .windows(window, layers -> LlamaFlowConfigs.slidingLayers(c, layers, window, i -> i % 2 == 0 && i < maxWindowLayers)),
                layers -> qwenMoe(c, layers, c.optInt("num_experts", 60), 4, 1408,
                        new MoeConfig.SharedExpert("shared_expert", c.optInt("shared_expert_intermediate_size", 5632), true)));
    }

    /** HF Qwen3MoeConfig: Qwen3's attention (per-head q/k RMSNorm, attention_bias), sliding_window on every layer when use_sliding_window. */
    public static DecoderConfig qwen3Moe(ConfigJson c) {
        int window = LlamaFlowConfigs.qwenWindow(c);
        return LlamaFlowConfigs.decoder(c, Delta.llama(c.optBool("attention_bias", false)).qkNorm(QkNorm.PER_HEAD)
                        .windows(window, layers -> Collections.nCopies(layers, window > 0)),
                layers -> qwenMoe(c, layers, localExperts(c, 128), 8, 768, null));
    }

    /**
     * HF Glm4MoeConfig (GLM-4.5): Llama's norms, q/k/v biases per attention_bias (o_proj none), per-head q/k RMSNorm when
     * use_qk_norm, partial rotary of the two halves (rotate_half; partial_rotary_factor defaults to 0.5); the layers from
     * first_k_dense_replace on are MoE with a sigmoid router (e_score_correction_bias, n_group / topk_group,
     * routed_scaling_factor) and n_shared_experts shared experts, the first ones dense (intermediate_size).
     */
    public static DecoderConfig glm4Moe(ConfigJson c) {
        Delta attention = Delta.llama(false).biases(c.optBool("attention_bias", false), false);
        if (c.optBool("use_qk_norm", false)) attention = attention.qkNorm(QkNorm.PER_HEAD);
        DecoderConfig d = LlamaFlowConfigs.decoder(c, attention, layers -> {
            int intermediate = c.optInt("moe_intermediate_size", 1408), shared = c.optInt("n_shared_experts", 1);
            int firstSparse = c.optInt("first_k_dense_replace", 1);
            List<Boolean> sparse = new ArrayList<>();
            for (int i = 0; i < layers; i++) sparse.add(i >= firstSparse);
            if (!sparse.contains(true)) return null;
            int experts = c.has("n_routed_experts") ? c.requireInt("n_routed_experts") : c.optInt("num_local_experts", 128);
            return new MoeConfig(experts, c.optInt("num_experts_per_tok", 8), intermediate, c.optBool("norm_topk_prob", true),
                    MoeConfig.Scoring.SIGMOID, c.optInt("n_group", 1), c.optInt("topk_group", 1), c.optDouble("routed_scaling_factor", 1.0),
                    shared > 0 ? new MoeConfig.SharedExpert("shared_experts", intermediate * shared, false) : null, sparse);
        });
        ConfigJson params = c.optObject("rope_parameters");
        if (c.has("partial_rotary_factor") || (params != null && params.has("partial_rotary_factor"))) return d;
        // Glm4MoeConfig.__post_init__: partial_rotary_factor defaults to 0.5
        RopeConfig rope = d.rope().with(0.5, false);
        try {
            rope.rotaryDim(d.attention().headDim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage(), e);
        }
        return new DecoderConfig(d.architecture(), d.vocabSize(), d.hiddenSize(), d.numLayers(), d.attention(), d.mlp(), d.moe(), rope, d.norm(),
                d.scaling(), d.tieWordEmbeddings(), d.dtype(), d.bosTokenIds(), d.eosTokenIds(), d.padTokenId());
    }

    /**
     * Mixtral's and Qwen3-MoE's expert count: their configs map num_experts to num_local_experts (attribute_map), so a
     * config.json may hold either (save_pretrained writes num_local_experts, the Hub's Qwen3 files num_experts).
     */
    private static int localExperts(ConfigJson c, int fallback) {
        return c.has("num_local_experts") ? c.requireInt("num_local_experts") : c.optInt("num_experts", fallback);
    }

    /** Qwen MoE layers: sparse unless listed in mlp_only_layers or off the decoder_sparse_step grid; null when no layer is. */
    static MoeConfig qwenMoe(ConfigJson c, int layers, int numExperts, int topK, int intermediate, MoeConfig.SharedExpert shared) {
        return qwenMoe(c, layers, numExperts, topK, intermediate, shared, false);
    }

    /** {@code normByDefault}: norm_topk_prob when the config does not say (Qwen3-Next: true). */
    static MoeConfig qwenMoe(ConfigJson c, int layers, int numExperts, int topK, int intermediate, MoeConfig.SharedExpert shared, boolean normByDefault) {
        int step = c.optInt("decoder_sparse_step", 1);
        if (step <= 0) throw new IllegalArgumentException(c.file() + ": 'decoder_sparse_step' must be > 0, got " + step);
        Set<Integer> mlpOnly = new HashSet<>();
        for (int i : c.optIntList("mlp_only_layers")) mlpOnly.add(i);
        List<Boolean> sparse = new ArrayList<>();
        for (int i = 0; i < layers; i++) sparse.add(!mlpOnly.contains(i) && numExperts > 0 && (i + 1) % step == 0);
        if (!sparse.contains(true)) return null;
        return MoeConfig.softmax(numExperts, c.optInt("num_experts_per_tok", topK), c.optInt("moe_intermediate_size", intermediate),
                c.optBool("norm_topk_prob", normByDefault), shared, sparse);
    }
}
