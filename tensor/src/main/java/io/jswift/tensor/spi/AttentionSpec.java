package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * How scores are masked in scaled-dot-product attention.
 *
 * <p>{@code scale} multiplies q·k (HF uses head_dim^-0.5). With {@code causal}, query i (of T) may see
 * key j (of S) iff {@code j <= i + (S - T)}: the queries are the last T positions, as in KV-cache decode.
 * A sliding {@code window} > 0 (causal only) further hides keys {@code window} or more positions back:
 * query i sees key j iff {@code i + (S - T) - j < window}, transformers' {@code kv_idx > q_idx - sliding_window}
 * (masking_utils.sliding_window_overlay); 0 means no window. A {@code softcap} > 0 (Gemma 2) bounds the scaled scores
 * before masking: s ← softcap · tanh(s / softcap); 0 means none. {@code sinks} [Hq] (GPT-OSS's learned per-head logits,
 * or null) join each row's softmax as one more logit with no value: p_j = exp(s_j) / (Σ_j' exp(s_j') + exp(sink_h)), so
 * the stored log-sum-exp is logaddexp(lse over the keys, sink_h) and a row that sees no key still outputs 0
 * (transformers' GptOss eager_attention_forward: the sink column is never masked and is dropped after the softmax).
 * With segments, query i of sample b may see key j only if {@code querySegments[b, i] == keySegments[b, j]}:
 * packed samples stay isolated, and left padding is a segment of its own. Both segment tensors are
 * integer ([B, T] and [B, S]) or both null. With {@code sharedPrefix} (segments required), a key of segment 0 is also
 * visible to the queries of every other segment, within the causal bound and the window: a prompt packed once before
 * several completions, each of which sees the prompt and itself but not the others (the completions of a preference
 * pair; a completion's positions restart after the prompt, which only the position ids, not this mask, express).
 * Shared-prefix rows also mark padding: a negative segment id {@code -1 - s} is a padding position of segment s, whose
 * key no query sees and whose query sees what a query of segment s sees — transformers' attention_mask 0 (the padding
 * key is masked for every query, itself included), so that a right-padding position of a packed sequence attends its
 * sequence's real tokens only, as in TRL's padded batch (CPO's and ORPO's logits/* include the padding's logits).
 * A query row that may see no key gets output 0.
 */
public record AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments, int window, double softcap,
                            Tensor sinks, boolean sharedPrefix) {
    public AttentionSpec {
        if ((querySegments == null) != (keySegments == null)) {
            throw new IllegalArgumentException("querySegments and keySegments must both be given or both be null");
        }
        if (window < 0) throw new IllegalArgumentException("sliding window must be >= 0 (0: none), got " + window);
        if (window > 0 && !causal) throw new IllegalArgumentException("a sliding window needs causal attention");
        if (!(softcap >= 0)) throw new IllegalArgumentException("attention soft-cap must be >= 0 (0: none), got " + softcap);
        if (sinks != null && (sinks.rank() != 1 || !sinks.dtype().isFloatingPoint())) {
            throw new IllegalArgumentException("attention sinks must be a floating [Hq] tensor, got " + sinks.dtype() + " " + Arrays.toString(sinks.shape()));
        }
        if (sharedPrefix && querySegments == null) throw new IllegalArgumentException("a shared prefix needs segment ids (the prefix is segment 0)");
    }

    /** With sinks (null: none), without a shared prefix. */
    public AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments, int window, double softcap, Tensor sinks) {
        this(scale, causal, querySegments, keySegments, window, softcap, sinks, false);
    }

    /** With or without a shared prefix, without sinks. */
    public AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments, int window, double softcap,
                         boolean sharedPrefix) {
        this(scale, causal, querySegments, keySegments, window, softcap, null, sharedPrefix);
    }

    /** Without sinks nor a shared prefix. */
    public AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments, int window, double softcap) {
        this(scale, causal, querySegments, keySegments, window, softcap, null, false);
    }

    /** With a sliding window (0: none), without soft-capping. */
    public AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments, int window) {
        this(scale, causal, querySegments, keySegments, window, 0);
    }

    /** Without a sliding window. */
    public AttentionSpec(double scale, boolean causal, Tensor querySegments, Tensor keySegments) {
        this(scale, causal, querySegments, keySegments, 0, 0);
    }

    public static AttentionSpec causal(int headDim) {
        return new AttentionSpec(1.0 / Math.sqrt(headDim), true, null, null);
    }

    /** The same masks with sliding window {@code w} (0: none). */
    public AttentionSpec withWindow(int w) { return new AttentionSpec(scale, causal, querySegments, keySegments, w, softcap, sinks, sharedPrefix); }

    /** The same masks with per-head sink logits {@code s} [Hq] (null: none). */
    public AttentionSpec withSinks(Tensor s) { return new AttentionSpec(scale, causal, querySegments, keySegments, window, softcap, s, sharedPrefix); }

    /** The same masks with score scale {@code s} and soft-cap {@code cap} (0: none). */
    public AttentionSpec withScores(double s, double cap) { return new AttentionSpec(s, causal, querySegments, keySegments, window, cap, sinks, sharedPrefix); }

    public boolean hasSoftcap() { return softcap > 0; }

    public boolean hasSinks() { return sinks != null; }

    public boolean hasSegments() { return querySegments != null; }

    public boolean hasWindow() { return window > 0; }

    /**
     * Whether a query of segment {@code querySegment} sees a key of segment {@code keySegment} (positions aside): the
     * same segment, or, with a shared prefix, a key of segment 0; with a shared prefix a padding key (negative) is seen
     * by no query, and a padding query of segment -1 - s sees as segment s. The one statement of the segment rule.
     */
    public boolean segmentSees(long querySegment, long keySegment) {
        if (!sharedPrefix) return querySegment == keySegment;
        if (keySegment < 0) return false;
        long q = querySegment < 0 ? -1 - querySegment : querySegment;
        return q == keySegment || keySegment == 0;
    }

    /**
     * Whether query i sees key j by position (causal bound and window; segments aside), for T queries and S keys:
     * the one statement of the rule the kernels and the reference follow.
     */
    public boolean visible(int i, int j, int t, int s) {
        if (!causal) return true;
        int pos = i + s - t;
        return j <= pos && (window == 0 || pos - j < window);
    }
}
