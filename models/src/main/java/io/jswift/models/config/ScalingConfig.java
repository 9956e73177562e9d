package io.jswift.models.config;

/**
 * What a family multiplies into the residual stream and the logits: embeddings times {@code embeddingScale} (Gemma:
 * sqrt(hidden_size), rounded to the checkpoint dtype as transformers' normalizer), logits soft-capped by
 * {@code finalLogitSoftcap} (Gemma 2: cap·tanh(logits / cap); 0: none).
 */
public record ScalingConfig(double embeddingScale, double finalLogitSoftcap) {
    public static final ScalingConfig NONE = new ScalingConfig(1, 0);

    public ScalingConfig {
        if (!(embeddingScale > 0) || !(finalLogitSoftcap >= 0)) {
            throw new IllegalArgumentException("embedding scale must be > 0 and final_logit_softcapping >= 0, got " + embeddingScale + ", " + finalLogitSoftcap);
        }
    }
}
