package io.jswift.models.config;

/** The RMSNorms of a decoder (input, post-attention, final, q/k): HF's {@code rms_norm_eps}. */
public record NormConfig(double eps) {
    public NormConfig {
        if (!(eps > 0)) throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + eps);
    }
}
