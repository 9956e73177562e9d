package io.jswift.models.config;

import io.jswift.nn.RopeScaling;
import io.jswift.tensor.DType;

/**
 * A decoder-only LM (Llama, Qwen2, Qwen3) as config values plus the flags in which the families differ:
 * Qwen2 = Llama with q/k/v biases; Qwen3 = Llama with per-head RMSNorm of q and k before RoPE and an
 * explicit head_dim. Dims: V vocab, C hidden, I intermediate, L layers, Hq/Hkv heads, D head dim.
 */
public record DecoderConfig(
        Architecture architecture,
        int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
        int numHeads, int numKvHeads, int headDim,
        double rmsNormEps, double ropeTheta, RopeScaling ropeScaling, int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias, boolean oProjBias, boolean mlpBias, boolean qkNorm,
        String hiddenAct, DType dtype, int[] bosTokenIds, int[] eosTokenIds, Integer padTokenId) {

    public DecoderConfig {
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    static DecoderConfig parse(Architecture arch, ConfigJson c) {
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (hidden <= 0 || heads <= 0) throw new IllegalArgumentException(c.file() + ": hidden_size and num_attention_heads must be > 0");
        boolean attentionBias = c.optBool("attention_bias", false);
        boolean qwen2 = arch == Architecture.QWEN2_FOR_CAUSAL_LM, qwen3 = arch == Architecture.QWEN3_FOR_CAUSAL_LM;
        Rope rope = Rope.parse(c);
        return new DecoderConfig(arch,
                c.requireInt("vocab_size"), hidden, c.requireInt("intermediate_size"), c.requireInt("num_hidden_layers"),
                heads, c.optInt("num_key_value_heads", heads), c.optInt("head_dim", hidden / heads),
                c.optDouble("rms_norm_eps", 1e-6), rope.theta(), rope.scaling(), c.optInt("max_position_embeddings", 2048),
                c.optBool("tie_word_embeddings", false),
                qwen2 || attentionBias,          // Qwen2: q/k/v biases always on
                !qwen2 && attentionBias,         // o_proj bias only with attention_bias (never in Qwen2)
                c.optBool("mlp_bias", false),
                qwen3,
                c.optString("hidden_act", "silu"), ModelDType.parse(c), c.optIntList("bos_token_id"), c.optIntList("eos_token_id"),
                c.has("pad_token_id") ? c.requireInt("pad_token_id") : null);
    }

    /** rope_theta + rope_scaling (transformers 4) or rope_parameters (transformers 5). */
    private record Rope(double theta, RopeScaling scaling) {
        static Rope parse(ConfigJson c) {
            ConfigJson params = c.optObject("rope_parameters");
            ConfigJson scaling = params != null ? params : c.optObject("rope_scaling");
            double theta = params != null && params.has("rope_theta") ? params.requireDouble("rope_theta") : c.optDouble("rope_theta", 10000.0);
            if (scaling == null) return new Rope(theta, RopeScaling.NONE);
            String type = scaling.optString("rope_type", scaling.optString("type", "default"));
            if (type.equals("default")) return new Rope(theta, RopeScaling.NONE);
            try {
                return new Rope(theta, new RopeScaling(type, scaling.optDouble("factor", 1), scaling.optDouble("low_freq_factor", 0),
                        scaling.optDouble("high_freq_factor", 0), scaling.optInt("original_max_position_embeddings", 0)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(c.file() + ": " + e.getMessage());
            }
        }
    }
}
