package io.jswift.nn;

/**
 * YaRN rope scaling (transformers' _compute_yarn_parameters): the inverse frequencies blend position interpolation
 * (divided by {@code factor}) with extrapolation (unchanged) along a linear ramp between the dims where a wavelength fits
 * {@code betaFast} and {@code betaSlow} rotations into {@code originalMaxPositionEmbeddings} (the ramp's ends floored /
 * ceiled when {@code truncate}); cos and sin are multiplied by {@code attentionFactor}.
 */
public record Yarn(double factor, int originalMaxPositionEmbeddings, double betaFast, double betaSlow, double attentionFactor, boolean truncate) {
    public Yarn {
        if (!(factor > 0)) throw new IllegalArgumentException("yarn rope scaling factor must be > 0, got " + factor);
        if (originalMaxPositionEmbeddings <= 0) throw new IllegalArgumentException("yarn needs original_max_position_embeddings > 0, got " + originalMaxPositionEmbeddings);
        if (!(betaFast > 0 && betaSlow > 0)) throw new IllegalArgumentException("yarn beta_fast and beta_slow must be > 0, got " + betaFast + ", " + betaSlow);
        if (!(attentionFactor > 0)) throw new IllegalArgumentException("yarn attention_factor must be > 0, got " + attentionFactor);
    }

    /** YaRN's (and DeepSeek's yarn_get_mscale) magnitude correction: 1 for scale ≤ 1, else 0.1 · m · ln(scale) + 1. */
    public static double mscale(double scale, double m) {
        return scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1;
    }

    /**
     * transformers' default attention factor: mscale(factor, mscale) / mscale(factor, mscale_all_dim) when both are
     * given and non-zero (DeepSeek), else mscale(factor, 1).
     */
    public static double defaultAttentionFactor(double factor, double mscale, double mscaleAllDim) {
        return mscale != 0 && mscaleAllDim != 0 ? mscale(factor, mscale) / mscale(factor, mscaleAllDim) : mscale(factor, 1);
    }

    /** The inverse frequencies [dim / 2] for rotary dim {@code dim} and base {@code theta}, float32 as transformers computes them. */
    float[] inverseFrequencies(int dim, double theta) {
        double low = correctionDim(betaFast, dim, theta), high = correctionDim(betaSlow, dim, theta);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) high += 0.001; // transformers' linear_ramp_factor: prevents a division by zero
        float[] out = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float pos = (float) Math.pow(theta, (float) (2 * i) / dim);
            float extrapolation = 1.0f / pos, interpolation = 1.0f / ((float) factor * pos);
            float ramp = Math.clamp(((float) i - (float) low) / (float) (high - low), 0f, 1f);
            float keep = 1 - ramp; // the share of extrapolation
            out[i] = interpolation * (1 - keep) + extrapolation * keep;
        }
        return out;
    }

    /** The dim whose wavelength fits {@code rotations} turns into the original context (find_correction_dim). */
    private double correctionDim(double rotations, int dim, double theta) {
        return dim * Math.log(originalMaxPositionEmbeddings / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}
