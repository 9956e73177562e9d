package io.jswift.models.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.config.LlamaFlowConfigs.Delta;

/**
 * config.json parser of HunYuanDenseV1ForCausalLM (HF HunYuanDenseV1Config): Llama's layer with q/k/v/o biases per
 * attention_bias, per-head RMSNorm of queries and keys after RoPE ({@link QkNorm#PER_HEAD_AFTER_ROPE}), an MLP without
 * biases, and the NTK-alpha rope: rope_type "dynamic" with a non-zero "alpha" rotates with base
 * rope_theta · alpha^(head_dim / (head_dim - 2)) ({@link RopeConfig#base(int)}); "dynamic" without alpha is plain dynamic
 * NTK, which jswift does not run (refused with the rope scaling types it supports).
 */
public final class HunyuanConfigs {
    private HunyuanConfigs() {}

    public static DecoderConfig hunyuanDense(ConfigJson c) {
        ConfigJson params = c.optObject("rope_parameters");
        ConfigJson scaling = params != null ? params : c.optObject("rope_scaling");
        double alpha = 0;
        ConfigJson plain = c;
        if (scaling != null && scaling.optString("rope_type", scaling.optString("type", "default")).equals("dynamic") && scaling.optDouble("alpha", 0) != 0) {
            alpha = scaling.requireDouble("alpha");
            if (!(alpha > 0)) throw new IllegalArgumentException(c.file() + ": the NTK rope 'alpha' must be > 0, got " + alpha);
            // the rest parses as an unscaled rope of the same theta; the alpha base replaces it below
            double theta = params != null && params.has("rope_theta") ? params.requireDouble("rope_theta") : c.optDouble("rope_theta", 10000.0);
            ObjectNode root = c.root().deepCopy();
            root.remove("rope_scaling");
            root.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", theta);
            plain = ConfigJson.of(c.file(), root);
        }
        Delta attention = Delta.llama(c.optBool("attention_bias", false)).qkNorm(QkNorm.PER_HEAD_AFTER_ROPE);
        DecoderConfig d = LlamaFlowConfigs.decoder(plain, attention, null);
        MlpConfig mlp = new MlpConfig(d.mlp().intermediateSize(), d.mlp().activation(), false, false); // HunYuanDenseV1MLP: bias=False
        RopeConfig rope = alpha > 0 ? d.rope().withNtkAlpha(alpha) : d.rope();
        return new DecoderConfig(d.architecture(), d.vocabSize(), d.hiddenSize(), d.numLayers(), d.attention(), mlp, d.moe(), rope, d.norm(),
                d.scaling(), d.tieWordEmbeddings(), d.dtype(), d.bosTokenIds(), d.eosTokenIds(), d.padTokenId());
    }
}
