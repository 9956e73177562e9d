package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.config.LlamaFlowConfigs.Delta;

import java.util.Collections;

/**
 * config.json parser of GptOssForCausalLM (HF GptOssConfig, transformers 5.18): Llama's layer with q/k/v/o biases per
 * attention_bias (default true), a learned sink logit per head in every softmax, layer_types (default: the even layers
 * slide over sliding_window, default 128, the odd ones attend fully), every layer a MoE of num_local_experts (default
 * 128) biased experts of intermediate_size with the top num_experts_per_tok (default 4) logits of a biased router,
 * softmax over those ({@link MoeConfig.Scoring#TOPK_SOFTMAX}, {@link MoeConfig.ExpertMlp#GPT_OSS}). Without rope keys
 * GptOssConfig's YaRN applies (factor 32, beta_fast 32, beta_slow 1, truncate false, original 4096, rope_theta 150000);
 * rms_norm_eps defaults to 1e-5. transformers' GptOssExperts clamps at 7.0 whatever config.json's swiglu_limit says, so
 * another limit is refused rather than silently ignored; MXFP4-quantized checkpoints are refused too.
 */
public final class GptOssConfigs {
    private GptOssConfigs() {}

    public static DecoderConfig gptOss(ConfigJson c) {
        JsonNode quant = c.root().path("quantization_config").path("quant_method");
        if (quant.isTextual()) {
            throw new IllegalArgumentException(c.file() + ": quantization_config.quant_method " + quant.asText() + " is not supported for GPT-OSS: "
                    + (quant.asText().equals("mxfp4") ? "jswift runs the dequantized (bf16) checkpoint, e.g. saved by transformers with Mxfp4Config(dequantize=True)"
                    : "use an unquantized checkpoint"));
        }
        double limit = c.optDouble("swiglu_limit", 7.0);
        if (limit != 7.0) {
            throw new IllegalArgumentException(c.file() + ": 'swiglu_limit' " + limit + " differs from the 7.0 transformers' GptOssExperts always uses");
        }
        ConfigJson withDefaults = ConfigJson.of(c.file(), defaults(c));
        int window = withDefaults.has("sliding_window") ? LlamaFlowConfigs.positive(withDefaults, "sliding_window") : 0;
        boolean bias = c.optBool("attention_bias", true);
        Delta layer = Delta.llama(bias).windows(window, layers -> LlamaFlowConfigs.slidingLayers(withDefaults, layers, window, i -> i % 2 == 0));
        DecoderConfig d = LlamaFlowConfigs.decoder(withDefaults, layer, layers -> new MoeConfig(withDefaults.optInt("num_local_experts", 128),
                withDefaults.optInt("num_experts_per_tok", 4), withDefaults.requireInt("intermediate_size"), false, MoeConfig.Scoring.TOPK_SOFTMAX,
                1, 1, 1, null, Collections.nCopies(layers, true), MoeConfig.ExpertMlp.GPT_OSS));
        return new DecoderConfig(d.architecture(), d.vocabSize(), d.hiddenSize(), d.numLayers(), d.attention().withSinks(), d.mlp(), d.moe(), d.rope(),
                d.norm(), d.scaling(), d.tieWordEmbeddings(), d.dtype(), d.bosTokenIds(), d.eosTokenIds(), d.padTokenId());
    }

    /** config.json with GptOssConfig's defaults where its keys are absent (the Llama-flow parser's own defaults differ). */
    private static ObjectNode defaults(ConfigJson c) {
        ObjectNode root = c.root().deepCopy();
        if (!root.has("sliding_window")) root.put("sliding_window", 128); // an explicit null keeps every layer full, as transformers
        if (!c.has("rms_norm_eps")) root.put("rms_norm_eps", 1e-5);
        if (!c.has("head_dim")) root.put("head_dim", 64);
        if (!c.has("max_position_embeddings")) root.put("max_position_embeddings", 131072);
        ConfigJson params = c.optObject("rope_parameters");
        if (params == null && !c.has("rope_scaling")) {
            root.putObject("rope_parameters").put("rope_type", "yarn").put("factor", 32.0).put("beta_fast", 32.0).put("beta_slow", 1.0)
                    .put("truncate", false).put("original_max_position_embeddings", 4096).put("rope_theta", c.optDouble("rope_theta", 150000.0));
        } else if (params != null && !params.has("rope_theta") && !c.has("rope_theta")) {
            ((ObjectNode) root.get("rope_parameters")).put("rope_theta", 150000.0);
        } else if (params == null && !c.has("rope_theta")) {
            root.put("rope_theta", 150000.0);
        }
        return root;
    }
}
