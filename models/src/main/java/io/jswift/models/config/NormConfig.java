package io.jswift.models.config;

/**
 * The RMSNorms of a decoder: HF's {@code rms_norm_eps} and where a layer normalizes, by the state-dict name of each norm
 * (null: none there). Llama normalizes before attention and before the MLP; OLMo 2 after each (no input norm); GLM-4 and
 * Gemma 2/3 both before and after ("sandwich"), under their own names. {@code unitOffset}: the scale is (1 + weight)
 * (Gemma's RMSNorm, also for q/k norms).
 */
public record NormConfig(double eps, boolean unitOffset, String preAttention, String postAttention, String preMlp, String postMlp) {
    public NormConfig {
        if (!(eps > 0)) throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + eps);
    }

    /** Llama: input_layernorm → attention, post_attention_layernorm → MLP. */
    public static NormConfig llama(double eps) {
        return new NormConfig(eps, false, "input_layernorm", null, "post_attention_layernorm", null);
    }
}
