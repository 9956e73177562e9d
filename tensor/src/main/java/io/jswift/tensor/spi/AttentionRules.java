package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * The checks of {@link Backend#attention} and its backward. Dims: B batch, Hq query heads, Hkv key/value heads
 * (Hq a multiple of Hkv: grouped-query attention), T queries, S keys, D head dim of queries and keys, Dv head dim of
 * values and of the output (Dv ≠ D in DeepSeek's latent attention: 128 against 192). q [B, Hq, T, D], k [B, Hkv, S, D],
 * v [B, Hkv, S, Dv], all floating; the output [B, Hq, T, Dv]; segment ids [B or 1, T] and [B or 1, S], integer (a batch of 1 is shared by every
 * sample). The overloads with the {@link AttentionSpec} are the whole check; those without it check the tensors only.
 */
public final class AttentionRules {
    private AttentionRules() {}

    public static void check(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || k.size(0) != q.size(0) || v.size(0) != q.size(0)
                || k.size(3) != q.size(3) || k.size(1) != v.size(1) || k.size(2) != v.size(2)
                || k.size(1) == 0 || q.size(1) % k.size(1) != 0) {
            throw new IllegalArgumentException("attention expects q [B, Hq, T, D], k [B, Hkv, S, D] and v [B, Hkv, S, Dv] with Hq a multiple of Hkv; got q "
                    + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        }
        FusedRules.requireFloating("attention", "q", q);
        FusedRules.requireFloating("attention", "k", k);
        FusedRules.requireFloating("attention", "v", v);
    }

    /** {@link #check(Tensor, Tensor, Tensor)} and, when the spec has them, the segment ids ({@link #checkSegments}) and the sinks ([Hq]). */
    public static void check(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        check(q, k, v);
        checkSegments(q, k, spec);
    }

    /** {@link #checkBackward(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)} and the spec's segment ids. */
    public static void checkBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        checkBackward(dOut, q, k, v, out, lse);
        checkSegments(q, k, spec);
    }

    private static void checkSegments(Tensor q, Tensor k, AttentionSpec spec) {
        if (spec.hasSinks() && spec.sinks().size(0) != q.size(1)) {
            throw new IllegalArgumentException("attention: sinks must be [Hq] = [" + q.size(1) + "], got " + Arrays.toString(spec.sinks().shape()));
        }
        if (!spec.hasSegments()) return;
        checkSegments("querySegments", spec.querySegments(), q.size(0), q.size(2));
        checkSegments("keySegments", spec.keySegments(), q.size(0), k.size(2));
    }

    /** The output shape [B, Hq, T, Dv]: q's with v's head dim. */
    public static int[] outputShape(Tensor q, Tensor v) {
        return new int[]{q.size(0), q.size(1), q.size(2), v.size(3)};
    }

    /** The forward's checks, and dOut and out shaped like the output ({@link #outputShape}), logSumExp [B, Hq, T], all floating. */
    public static void checkBackward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse) {
        check(q, k, v);
        int[] shape = outputShape(q, v);
        if (!Arrays.equals(dOut.shape(), shape) || !Arrays.equals(out.shape(), shape)
                || !Arrays.equals(lse.shape(), new int[]{q.size(0), q.size(1), q.size(2)})) {
            throw new IllegalArgumentException("attention backward expects dOut and out shaped like the output " + Arrays.toString(shape)
                    + " and logSumExp [B, Hq, T]; got dOut " + Arrays.toString(dOut.shape()) + ", out "
                    + Arrays.toString(out.shape()) + ", logSumExp " + Arrays.toString(lse.shape()));
        }
        FusedRules.requireFloating("attention", "dOut", dOut);
        FusedRules.requireFloating("attention", "out", out);
        FusedRules.requireFloating("attention", "logSumExp", lse);
    }

    /** Segment ids of {@code len} positions: [bsz, len] or [1, len] (shared by the batch), integer. */
    public static void checkSegments(String name, Tensor seg, int bsz, int len) {
        if (seg.rank() != 2 || (seg.size(0) != bsz && seg.size(0) != 1) || seg.size(1) != len) {
            throw new IllegalArgumentException("attention: " + name + " must be [" + bsz + ", " + len + "] (or [1, " + len
                    + "]), got " + Arrays.toString(seg.shape()));
        }
        if (seg.dtype().isFloatingPoint() || seg.dtype().isPacked()) {
            throw new IllegalArgumentException("attention: " + name + " must be an integer tensor, got " + seg.dtype());
        }
    }
}
