package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.models.config.LlamaFlowConfigs.Delta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * config.json parsers of DeepSeek-V2 and DeepSeek-V3 (HF DeepseekV2Config / DeepseekV3Config): Llama's norms, MLP,
 * embeddings and head around multi-head latent attention ({@link MlaConfig}) and MoE layers from first_k_dense_replace
 * on, each with n_shared_experts shared experts (one gated MLP of moe_intermediate_size · n_shared_experts).
 * V2 routes by softmax, greedily or (topk_method group_limited_greedy) within the topk_group best of n_group groups,
 * weights × routed_scaling_factor, never renormalized (norm_topk_prob is ignored, as transformers does); V3 routes as
 * GLM-4.5 (sigmoid, e_score_correction_bias, groups scored by their best two, norm_topk_prob). The attention scale is
 * qk_head_dim^-0.5 times DeepSeek's mscale(factor, mscale_all_dim)² of a scaled rope ({@link RopeConfig#attentionScaleFactor()}).
 */
public final class DeepseekConfigs {
    private DeepseekConfigs() {}

    public static DecoderConfig deepseekV2(ConfigJson c) { return deepseek(c, false); }

    public static DecoderConfig deepseekV3(ConfigJson c) { return deepseek(c, true); }

    private static DecoderConfig deepseek(ConfigJson c, boolean v3) {
        DecoderConfig d = LlamaFlowConfigs.decoder(c, Delta.llama(false), layers -> moe(c, layers, v3));
        try {
            int heads = d.attention().numHeads();
            if (c.has("num_key_value_heads") && c.requireInt("num_key_value_heads") != heads) {
                throw new IllegalArgumentException("num_key_value_heads (" + c.requireInt("num_key_value_heads") + ") must equal num_attention_heads ("
                        + heads + "): latent attention expands one key/value head per query head (transformers fails on other values too)");
            }
            JsonNode qRank = c.root().get("q_lora_rank"); // null: q_proj; absent: the default rank
            MlaConfig mla = new MlaConfig(qRank == null ? 1536 : qRank.isNull() ? 0 : c.requireInt("q_lora_rank"), c.optInt("kv_lora_rank", 512),
                    c.optInt("qk_nope_head_dim", 128), c.optInt("qk_rope_head_dim", 64), c.optInt("v_head_dim", 128),
                    c.optBool("attention_bias", false), !v3 || c.optBool("rope_interleave", true));
            double scale = d.rope().attentionScaleFactor() / Math.sqrt(mla.qkHeadDim()); // yarn_apply_mscale
            AttentionConfig attention = new AttentionConfig(heads, heads, mla.qkHeadDim(), false, false, QkNorm.NONE, 0,
                    Collections.nCopies(d.numLayers(), false), false, scale, 0, mla);
            // DeepseekV3MLP has no biases whatever mlp_bias says; DeepseekV2MLP follows it
            MlpConfig mlp = v3 ? new MlpConfig(d.mlp().intermediateSize(), d.mlp().activation(), false, false) : d.mlp();
            return new DecoderConfig(d.architecture(), d.vocabSize(), d.hiddenSize(), d.numLayers(), attention, mlp, d.moe(), d.rope(), d.norm(),
                    d.scaling(), d.tieWordEmbeddings(), d.dtype(), d.bosTokenIds(), d.eosTokenIds(), d.padTokenId());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** The MoE layers from first_k_dense_replace on (null when none is). */
    private static MoeConfig moe(ConfigJson c, int layers, boolean v3) {
        int firstSparse = c.optInt("first_k_dense_replace", v3 ? 3 : 0);
        List<Boolean> sparse = new ArrayList<>();
        for (int i = 0; i < layers; i++) sparse.add(i >= firstSparse);
        if (!sparse.contains(true)) return null;
        int experts = c.has("n_routed_experts") ? c.requireInt("n_routed_experts") : c.optInt(v3 ? "num_local_experts" : "num_experts", v3 ? 256 : 64);
        int intermediate = c.optInt("moe_intermediate_size", v3 ? 2048 : 1407), shared = c.optInt("n_shared_experts", v3 ? 1 : 2);
        MoeConfig.SharedExpert sharedExpert = shared > 0
                ? new MoeConfig.SharedExpert("shared_experts", intermediate * shared, false, !v3 && c.optBool("mlp_bias", false)) : null;
        double scaling = c.optDouble("routed_scaling_factor", v3 ? 2.5 : 1.0);
        if (v3) {
            return new MoeConfig(experts, c.optInt("num_experts_per_tok", 8), intermediate, c.optBool("norm_topk_prob", true), MoeConfig.Scoring.SIGMOID,
                    c.optInt("n_group", 8), c.optInt("topk_group", 4), scaling, sharedExpert, sparse);
        }
        if (!c.has("num_experts_per_tok")) throw new IllegalArgumentException(c.file() + ": missing key 'num_experts_per_tok' (DeepSeek-V2 has no default)");
        String method = c.optString("topk_method", "greedy");
        boolean grouped = switch (method) {
            case "greedy" -> false;
            case "group_limited_greedy" -> true;
            default -> throw new IllegalArgumentException(c.file() + ": 'topk_method' must be greedy or group_limited_greedy (as transformers' DeepseekV2TopkRouter), got '"
                    + method + "'");
        };
        if (grouped && (!c.has("n_group") || !c.has("topk_group"))) {
            throw new IllegalArgumentException(c.file() + ": topk_method group_limited_greedy needs 'n_group' and 'topk_group'");
        }
        return new MoeConfig(experts, c.requireInt("num_experts_per_tok"), intermediate, false, MoeConfig.Scoring.SOFTMAX_GROUP_MAX,
                grouped ? c.requireInt("n_group") : 1, grouped ? c.requireInt("topk_group") : 1, scaling, sharedExpert, sparse);
    }
}
