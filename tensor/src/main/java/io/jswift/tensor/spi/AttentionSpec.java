package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

/**
 * How scores are masked in scaled-dot-product attention.
 *
 * <p>{@code scale} multiplies q·k (HF uses head_dim^-0.5). With {@code causal}, query i (of T) may see
 * key j (of S) iff {@code j <= i + (S - T)}: the queries are the last T positions, as in KV-cache decode.
 * With segments, query i of sample b may see key j only if {@code querySegments[b, i] == keySegments[b, j]}:
 * packed samples stay isolated, and left padding is a segment of its own. Both segment tensors are
 * integer ([B, T] and [B, S]) or both null. A query row that may see no key gets output 0.
 */
public record AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments) {
    public AttentionSpec {
        if ((querySegments == null) != (keySegments == null)) {
            throw new IllegalArgumentException("querySegments and keySegments must both be given or both be null");
        }
    }

    public static AttentionSpec causal(int headDim) {
        return new AttentionSpec(1.0 / Math.sqrt(headDim), true, null, null);
    }

    public boolean hasSegments() { return querySegments != null; }
}
