package io.jswift.nn;

/**
 * LongRoPE (Phi-3; transformers' _compute_longrope_parameters): inv_freq[i] = 1 / (ext[i] · theta^(2i/R)) with ext the
 * short factors while a call's positions stay within {@code originalMaxPositionEmbeddings} (max position id + 1 ≤ it),
 * the long factors once they pass it; cos and sin are multiplied by {@code attentionFactor}.
 */
public record LongRope(double[] shortFactor, double[] longFactor, int originalMaxPositionEmbeddings, double attentionFactor) {
    public LongRope {
        if (shortFactor.length != longFactor.length) {
            throw new IllegalArgumentException("longrope short_factor and long_factor differ in length: " + shortFactor.length + " vs " + longFactor.length);
        }
        if (originalMaxPositionEmbeddings <= 0) throw new IllegalArgumentException("longrope needs original_max_position_embeddings > 0");
        if (!(attentionFactor > 0)) throw new IllegalArgumentException("longrope attention_factor must be > 0, got " + attentionFactor);
        shortFactor = shortFactor.clone();
        longFactor = longFactor.clone();
    }

    /** transformers' default: 1 when factor ≤ 1, else sqrt(1 + ln(factor) / ln(original_max_position_embeddings)). */
    public static double defaultAttentionFactor(double factor, int originalMaxPositionEmbeddings) {
        return factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(originalMaxPositionEmbeddings));
    }
}
