package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * Grouped-query scaled-dot-product attention, f32, one query row at a time: scores for the keys the row may
 * see go into a per-thread buffer of S floats (never a [T, S] matrix), then softmax and the weighted sum of
 * values. The backward recomputes probabilities from the saved log-sum-exp (FlashAttention-2, Dao 2023):
 * D_i = dO_i·O_i, dS = P ∘ (dP - D); each task owns one (batch, kv head) so dk/dv need no synchronization.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Which keys query i of batch b may see. */
    private record Mask(boolean causal, int offset, long[] qSeg, long[] kSeg, int t, int s) {
        static Mask of(AttentionSpec spec, int t, int s) {
            return new Mask(spec.causal(), s - t, spec.hasSegments() ? spec.querySegments().toLongArray() : null,
                    spec.hasSegments() ? spec.keySegments().toLongArray() : null, t, s);
        }

        /** Keys [0, end) are candidates (causal bound); segments filter further. */
        int end(int i) {
            return causal ? Math.max(0, Math.min(s, i + offset + 1)) : s;
        }

        boolean allowed(int b, int i, int j) {
            return qSeg == null || qSeg[b * t + i] == kSeg[b * s + j];
        }
    }

    public static FusedResults.Attention forward(Tensor qIn, Tensor kIn, Tensor vIn, AttentionSpec spec) {
        checkShapes(qIn, kIn, vIn);
        Tensor q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn);
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3), hkv = k.size(1), s = k.size(2);
        int group = hq / hkv;
        float scale = (float) spec.scale();
        Mask mask = Mask.of(spec, t, s);
        Tensor out = Tensor.zeros(DType.F32, bsz, hq, t, d), lse = Tensor.zeros(DType.F32, bsz, hq, t);
        MemorySegment qs = q.hostSegment(), ks = k.hostSegment(), vs = v.hostSegment(), os = out.hostSegment(), ls = lse.hostSegment();
        long qo = q.offset(), ko = k.offset(), vo = v.offset();
        int rows = bsz * hq * t;
        Parallel.range(rows, Math.max(1, 4096 / Math.max(1, s)), (from, to) -> {
            float[] scores = new float[s];
            float[] acc = new float[d];
            for (int row = from; row < to; row++) {
                int i = row % t, h = (row / t) % hq, b = row / (t * hq);
                long qRow = qo + (long) row * d;
                long kvBase = (long) (b * hkv + h / group) * s * d;
                int end = mask.end(i);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < end; j++) {
                    float sc = mask.allowed(b, i, j) ? Vec.dot(qs, qRow, ks, ko + kvBase + (long) j * d, d) * scale : Float.NEGATIVE_INFINITY;
                    scores[j] = sc;
                    if (sc > max) max = sc;
                }
                java.util.Arrays.fill(acc, 0);
                if (max == Float.NEGATIVE_INFINITY) { // no visible key: output 0, lse -inf
                    Vec.set(ls, row, Float.NEGATIVE_INFINITY);
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < end; j++) {
                    if (scores[j] == Float.NEGATIVE_INFINITY) continue;
                    float p = (float) Math.exp(scores[j] - max);
                    sum += p;
                    axpy(p, vs, vo + kvBase + (long) j * d, acc, d);
                }
                float inv = (float) (1 / sum);
                long oRow = (long) row * d;
                for (int x = 0; x < d; x++) Vec.set(os, oRow + x, acc[x] * inv);
                Vec.set(ls, row, (float) (Math.log(sum) + max));
            }
        });
        return new FusedResults.Attention(out, lse);
    }

    public static FusedResults.AttentionGrads backward(Tensor dOutIn, Tensor qIn, Tensor kIn, Tensor vIn, Tensor outIn,
                                                      Tensor lseIn, AttentionSpec spec) {
        checkShapes(qIn, kIn, vIn);
        Tensor dO = Contig.of(dOutIn), q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn), o = Contig.of(outIn), l = Contig.of(lseIn);
        int bsz = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3), hkv = k.size(1), s = k.size(2);
        int group = hq / hkv;
        float scale = (float) spec.scale();
        Mask mask = Mask.of(spec, t, s);
        Tensor dq = Tensor.zeros(DType.F32, q.shape()), dk = Tensor.zeros(DType.F32, k.shape()), dv = Tensor.zeros(DType.F32, v.shape());
        MemorySegment dos = dO.hostSegment(), qs = q.hostSegment(), ks = k.hostSegment(), vs = v.hostSegment(), os = o.hostSegment(), lss = l.hostSegment();
        MemorySegment dqs = dq.hostSegment(), dks = dk.hostSegment(), dvs = dv.hostSegment();
        long doo = dO.offset(), qo = q.offset(), ko = k.offset(), vo = v.offset(), oo = o.offset(), lo = l.offset();
        Parallel.range(bsz * hkv, 1, (from, to) -> {
            float[] p = new float[s];
            float[] dqRow = new float[d];
            for (int unit = from; unit < to; unit++) {
                int b = unit / hkv, kvh = unit % hkv;
                long kvBase = (long) unit * s * d;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int i = 0; i < t; i++) {
                        int row = (b * hq + h) * t + i;
                        float lse = Vec.get(lss, lo + row);
                        if (lse == Float.NEGATIVE_INFINITY) continue;
                        long qRow = qo + (long) row * d, dRow = doo + (long) row * d;
                        float rowDot = Vec.dot(dos, dRow, os, oo + (long) row * d, d);
                        int end = mask.end(i);
                        java.util.Arrays.fill(dqRow, 0);
                        for (int j = 0; j < end; j++) {
                            if (!mask.allowed(b, i, j)) continue;
                            long kRow = ko + kvBase + (long) j * d, vRow = vo + kvBase + (long) j * d;
                            float pj = (float) Math.exp(Vec.dot(qs, qRow, ks, kRow, d) * scale - lse);
                            if (pj == 0) continue;
                            float dp = Vec.dot(dos, dRow, vs, vRow, d);
                            float ds = pj * (dp - rowDot) * scale;
                            axpy(ds, ks, kRow, dqRow, d);                                   // dq_i += ds · k_j
                            axpyInto(ds, qs, qRow, dks, kvBase + (long) j * d, d);          // dk_j += ds · q_i
                            axpyInto(pj, dos, dRow, dvs, kvBase + (long) j * d, d);         // dv_j += p · dO_i
                        }
                        long dqOut = (long) row * d;
                        for (int x = 0; x < d; x++) Vec.set(dqs, dqOut + x, dqRow[x]);
                    }
                }
            }
        });
        return new FusedResults.AttentionGrads(dq, dk, dv);
    }

    /** The shape contract of FusedReference.attention (which the f64 path checks), with both shapes in the message. */
    static void checkShapes(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || k.size(0) != q.size(0) || v.size(0) != q.size(0)
                || k.size(3) != q.size(3) || v.size(3) != q.size(3) || k.size(1) != v.size(1) || k.size(2) != v.size(2)
                || k.size(1) == 0 || q.size(1) % k.size(1) != 0) {
            throw new IllegalArgumentException("attention expects q [B, Hq, T, D] and k, v [B, Hkv, S, D] with Hq a multiple of Hkv; got q "
                    + java.util.Arrays.toString(q.shape()) + ", k " + java.util.Arrays.toString(k.shape()) + ", v " + java.util.Arrays.toString(v.shape()));
        }
    }

    /** acc[x] += a · src[off + x]. */
    private static void axpy(float a, MemorySegment src, long off, float[] acc, int n) {
        FloatVector av = FloatVector.broadcast(Vec.F, a);
        int x = 0, bound = Vec.F.loopBound(n);
        for (; x < bound; x += Vec.L) av.fma(Vec.load(src, off + x), FloatVector.fromArray(Vec.F, acc, x)).intoArray(acc, x);
        for (; x < n; x++) acc[x] += a * Vec.get(src, off + x);
    }

    /** dst[dOff + x] += a · src[sOff + x]. */
    private static void axpyInto(float a, MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        FloatVector av = FloatVector.broadcast(Vec.F, a);
        int x = 0, bound = Vec.F.loopBound(n);
        for (; x < bound; x += Vec.L) Vec.store(av.fma(Vec.load(src, sOff + x), Vec.load(dst, dOff + x)), dst, dOff + x);
        for (; x < n; x++) Vec.set(dst, dOff + x, Vec.get(dst, dOff + x) + a * Vec.get(src, sOff + x));
    }
}
