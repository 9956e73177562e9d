package io.jswift.models.config;

import io.jswift.nn.LongRope;
import io.jswift.nn.RopeScaling;
import io.jswift.nn.Yarn;

/**
 * Rotary position embedding: base theta, its scaling, the context length the model was configured for, the share of
 * each head that rotates ({@code partial_rotary_factor}: the first R = factor·D dims) and whether rotated pairs are
 * adjacent dims (GLM's interleaved rotate_half) instead of the two halves of the rotated part. {@code longRope} (Phi-3)
 * replaces {@code scaling} when set. {@code localTheta} > 0 (Gemma 3): sliding-window layers rotate with this base and
 * no scaling, full-attention layers with {@code theta} and {@code scaling}; 0: every layer alike. {@code yarn}
 * (rope_type "yarn": DeepSeek-V2/V3) replaces {@code scaling} when set; {@link #mscaleAllDim} keeps DeepSeek's
 * mscale_all_dim for the attention scale (0: none). {@code ntkAlpha} > 0 (HunYuan's rope_type "dynamic" with "alpha"):
 * the base becomes theta · alpha^(R / (R - 2)) ({@link #base(int)}), valid up to maxPositionEmbeddings; 0: none.
 */
public record RopeConfig(double theta, RopeScaling scaling, int maxPositionEmbeddings, double partialFactor, boolean interleaved,
                         LongRope longRope, double localTheta, Yarn yarn, double mscaleAllDim, double ntkAlpha) {
    public RopeConfig {
        if (!(partialFactor > 0 && partialFactor <= 1)) throw new IllegalArgumentException("partial_rotary_factor must be in (0, 1], got " + partialFactor);
    }

    /** Without YaRN. */
    public RopeConfig(double theta, RopeScaling scaling, int maxPositionEmbeddings, double partialFactor, boolean interleaved,
                      LongRope longRope, double localTheta) {
        this(theta, scaling, maxPositionEmbeddings, partialFactor, interleaved, longRope, localTheta, null, 0, 0);
    }

    /**
     * The rotation base for {@code rotaryDim} rotated dims: theta, or HunYuan's NTK-alpha base theta · alpha^(R / (R - 2))
     * (HunYuanDenseV1RotaryEmbedding, in double as Python computes it).
     */
    public double base(int rotaryDim) {
        return ntkAlpha > 0 ? theta * Math.pow(ntkAlpha, (double) rotaryDim / (rotaryDim - 2)) : theta;
    }

    /** This rotation with HunYuan's NTK alpha. */
    public RopeConfig withNtkAlpha(double alpha) {
        return new RopeConfig(theta, scaling, maxPositionEmbeddings, partialFactor, interleaved, longRope, localTheta, yarn, mscaleAllDim, alpha);
    }

    /**
     * DeepSeek's yarn_apply_mscale: with a scaled rope (any type but default) and a non-zero mscale_all_dim, the softmax
     * scale is multiplied by mscale(factor, mscale_all_dim)²; otherwise 1.
     */
    public double attentionScaleFactor() {
        if (mscaleAllDim == 0) return 1;
        double m = Yarn.mscale(scalingFactor(), mscaleAllDim);
        return m * m;
    }

    /** rope_parameters' factor of a scaled rope (1 when none). */
    private double scalingFactor() {
        if (yarn != null) return yarn.factor();
        return scaling.type().equals("default") ? 1 : scaling.factor();
    }

    /** Rotated dims of a head of {@code headDim} (HF: int(head_dim * partial_rotary_factor)). */
    public int rotaryDim(int headDim) {
        int r = (int) (headDim * partialFactor);
        if (r <= 0 || r % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " x partial_rotary_factor " + partialFactor + " must give an even rotary dim > 0");
        return r;
    }

    /** This rotation with another partial factor and pair layout. */
    RopeConfig with(double factor, boolean interleave) {
        return new RopeConfig(theta, scaling, maxPositionEmbeddings, factor, interleave, longRope, localTheta, yarn, mscaleAllDim, ntkAlpha);
    }

    /**
     * rope_theta + rope_scaling (transformers 4) or rope_parameters (transformers 5); the partial rotary factor from
     * rope_parameters or the top level (where transformers 4 configs keep it), 1 when absent.
     */
    static RopeConfig parsePartial(ConfigJson c, boolean interleaved) {
        ConfigJson params = c.optObject("rope_parameters");
        double factor = params != null && params.has("partial_rotary_factor") ? params.requireDouble("partial_rotary_factor")
                : c.optDouble("partial_rotary_factor", 1.0);
        return parse(c).with(factor, interleaved);
    }

    /**
     * LongRoPE's factors; original_max_position_embeddings from the rope object or the config (transformers 4 keeps it
     * there); factor defaulting to max_position_embeddings / original; attention_factor to transformers' formula.
     */
    private static LongRope longRope(ConfigJson c, ConfigJson scaling, int maxPositions) {
        int original = scaling.has("original_max_position_embeddings") ? scaling.requireInt("original_max_position_embeddings")
                : c.requireInt("original_max_position_embeddings");
        double factor = scaling.optDouble("factor", (double) maxPositions / original);
        double attention = scaling.optDouble("attention_factor", LongRope.defaultAttentionFactor(factor, original));
        try {
            return new LongRope(doubles(scaling, "short_factor"), doubles(scaling, "long_factor"), original, attention);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage());
        }
    }

    /**
     * YaRN as transformers 5 reads it: original_max_position_embeddings from the config's top level (priority) or the rope
     * object, else max_position_embeddings (standardize_rope_params); factor defaulting to max / original; the attention
     * factor given or from mscale / mscale_all_dim; beta_fast 32, beta_slow 1 and truncate true unless set.
     */
    private static Yarn yarn(ConfigJson c, ConfigJson scaling, int maxPositions) {
        int original = c.has("original_max_position_embeddings") ? c.requireInt("original_max_position_embeddings")
                : scaling.optInt("original_max_position_embeddings", maxPositions);
        try {
            double factor = scaling.has("factor") ? scaling.requireDouble("factor") : (double) maxPositions / original;
            double attention = scaling.has("attention_factor") ? scaling.requireDouble("attention_factor")
                    : Yarn.defaultAttentionFactor(factor, scaling.optDouble("mscale", 0), scaling.optDouble("mscale_all_dim", 0));
            // transformers: `rope_parameters.get("beta_fast") or 32` (a 0 or null takes the default too)
            double fast = scaling.optDouble("beta_fast", 0), slow = scaling.optDouble("beta_slow", 0);
            return new Yarn(factor, original, fast == 0 ? 32 : fast, slow == 0 ? 1 : slow, attention, scaling.optBool("truncate", true));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage());
        }
    }

    private static double[] doubles(ConfigJson c, String key) {
        var n = c.root().get(key);
        if (n == null || !n.isArray()) throw new IllegalArgumentException(c.file() + ": '" + key + "' must be a list of numbers");
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isNumber()) throw new IllegalArgumentException(c.file() + ": '" + key + "' must be a list of numbers, got " + n);
            out[i] = n.get(i).asDouble();
        }
        return out;
    }

    /**
     * Gemma 3's rope per layer type: transformers 5's rope_parameters {"full_attention": {...}, "sliding_attention": {...}},
     * or transformers 4's rope_theta + rope_scaling (full layers) and rope_local_base_freq (sliding layers).
     */
    static RopeConfig parsePerLayerType(ConfigJson c) {
        ConfigJson params = c.optObject("rope_parameters");
        if (params != null && params.has("full_attention")) {
            ConfigJson full = params.optObject("full_attention"), sliding = params.optObject("sliding_attention");
            RopeConfig global = parse(c, full);
            double local = sliding != null ? sliding.optDouble("rope_theta", 10000.0) : 10000.0;
            return new RopeConfig(global.theta, global.scaling, global.maxPositionEmbeddings, 1, false, global.longRope, local);
        }
        RopeConfig global = parse(c);
        return new RopeConfig(global.theta, global.scaling, global.maxPositionEmbeddings, 1, false, global.longRope,
                c.optDouble("rope_local_base_freq", 10000.0));
    }

    /** rope_theta + rope_scaling (transformers 4) or rope_parameters (transformers 5). */
    static RopeConfig parse(ConfigJson c) {
        return parse(c, c.optObject("rope_parameters"));
    }

    /** As {@link #parse(ConfigJson)} with {@code params} standing for rope_parameters. */
    private static RopeConfig parse(ConfigJson c, ConfigJson params) {
        ConfigJson scaling = params != null ? params : c.optObject("rope_scaling");
        double theta = params != null && params.has("rope_theta") ? params.requireDouble("rope_theta") : c.optDouble("rope_theta", 10000.0);
        int maxPositions = c.optInt("max_position_embeddings", 2048);
        if (scaling == null) return new RopeConfig(theta, RopeScaling.NONE, maxPositions, 1, false, null, 0);
        String type = scaling.optString("rope_type", scaling.optString("type", "default"));
        if (type.equals("default")) return new RopeConfig(theta, RopeScaling.NONE, maxPositions, 1, false, null, 0);
        if (type.equals("longrope") || type.equals("su")) {
            return new RopeConfig(theta, RopeScaling.NONE, maxPositions, 1, false, longRope(c, scaling, maxPositions), 0);
        }
        double mscaleAllDim = scaling.optDouble("mscale_all_dim", 0);
        if (type.equals("yarn")) return new RopeConfig(theta, RopeScaling.NONE, maxPositions, 1, false, null, 0, yarn(c, scaling, maxPositions), mscaleAllDim, 0);
        try {
            return new RopeConfig(theta, new RopeScaling(type, scaling.optDouble("factor", 1), scaling.optDouble("low_freq_factor", 0),
                    scaling.optDouble("high_freq_factor", 0), scaling.optInt("original_max_position_embeddings", 0)), maxPositions, 1, false, null, 0,
                    null, mscaleAllDim, 0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.file() + ": " + e.getMessage());
        }
    }
}
