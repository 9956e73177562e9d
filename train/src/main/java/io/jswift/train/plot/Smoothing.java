package io.jswift.train.plot;

/**
 * TensorBoard's scalar smoothing, which ms-swift applies to {@code train/loss} with weight 0.9 (its
 * {@code tensorboard_smoothing}): an exponential moving average divided by the sum of its weights, so the first
 * points are not pulled towards zero.
 */
public final class Smoothing {
    /** ms-swift's {@code plot_images(..., ['train/loss'], 0.9)}. */
    public static final double WEIGHT = 0.9;

    private Smoothing() {}

    /** s[i] = (Σ_{j≤i} w^{i-j} v[j]) / (Σ_{j≤i} w^{i-j}). */
    public static double[] tensorboard(double[] values, double weight) {
        if (!(weight >= 0 && weight < 1)) throw new IllegalArgumentException("smoothing weight must be in [0, 1), got " + weight);
        double[] out = new double[values.length];
        double x = 0, norm = 0;
        for (int i = 0; i < values.length; i++) {
            x = x * weight + values[i];
            norm = norm * weight + 1;
            out[i] = x / norm;
        }
        return out;
    }
}
