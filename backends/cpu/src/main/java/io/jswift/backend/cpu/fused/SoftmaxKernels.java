package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Softmax and log-softmax over the last dim and cross-entropy over vocabulary rows, forward and backward,
 * f32 rows with the Vector API. Dims: N rows, V row length (vocabulary).
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {}

    private static int rows(Tensor x) {
        return (int) (x.numel() / Math.max(1, x.size(-1)));
    }

    /** softmax (log = false) or log-softmax (log = true) of each row. */
    public static Tensor forward(Tensor x, boolean log) {
        Tensor xc = Contig.of(x);
        int v = x.size(-1), n = rows(x);
        Tensor y = Tensor.zeros(DType.F32, x.shape());
        MemorySegment xs = xc.hostSegment(), ys = y.hostSegment();
        long xo = xc.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long in = xo + (long) r * v, out = (long) r * v;
                float m = Vec.max(xs, in, v);
                float shift = m == Float.NEGATIVE_INFINITY ? 0 : m;
                double sum = Vec.sumExp(xs, in, v, shift);
                float lse = (float) (Math.log(sum) + shift);
                float inv = (float) (1 / sum);
                int i = 0, bound = Vec.F.loopBound(v);
                for (; i < bound; i += Vec.L) {
                    FloatVector z = Vec.load(xs, in + i);
                    Vec.store(log ? z.sub(lse) : z.sub(shift).lanewise(VectorOperators.EXP).mul(inv), ys, out + i);
                }
                for (; i < v; i++) {
                    float z = Vec.get(xs, in + i);
                    Vec.set(ys, out + i, log ? z - lse : (float) (Math.exp(z - shift) * inv));
                }
            }
        });
        return y;
    }

    /** softmax: dx = y·(dy - Σ dy·y); log-softmax: dx = dy - exp(y)·Σ dy. */
    public static Tensor backward(Tensor dy, Tensor y, boolean log) {
        Tensor dc = Contig.of(dy), yc = Contig.of(y);
        int v = y.size(-1), n = rows(y);
        Tensor dx = Tensor.zeros(DType.F32, y.shape());
        MemorySegment ds = dc.hostSegment(), ys = yc.hostSegment(), xs = dx.hostSegment();
        long dof = dc.offset(), yof = yc.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long d = dof + (long) r * v, yy = yof + (long) r * v, out = (long) r * v;
                float s = log ? sum(ds, d, v) : Vec.dot(ds, d, ys, yy, v);
                int i = 0, bound = Vec.F.loopBound(v);
                for (; i < bound; i += Vec.L) {
                    FloatVector g = Vec.load(ds, d + i), yv = Vec.load(ys, yy + i);
                    Vec.store(log ? g.sub(yv.lanewise(VectorOperators.EXP).mul(s)) : yv.mul(g.sub(s)), xs, out + i);
                }
                for (; i < v; i++) {
                    float g = Vec.get(ds, d + i), yv = Vec.get(ys, yy + i);
                    Vec.set(xs, out + i, log ? g - (float) Math.exp(yv) * s : yv * (g - s));
                }
            }
        });
        return dx;
    }

    private static float sum(MemorySegment s, long off, int n) {
        FloatVector acc = FloatVector.zero(Vec.F);
        int i = 0, bound = Vec.F.loopBound(n);
        for (; i < bound; i += Vec.L) acc = acc.add(Vec.load(s, off + i));
        float t = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) t += Vec.get(s, off + i);
        return t;
    }

    private static long[] targets(Tensor targets, long ignoreIndex, int vocab) {
        long[] t = targets.toLongArray();
        for (int i = 0; i < t.length; i++) {
            if (t[i] != ignoreIndex && (t[i] < 0 || t[i] >= vocab)) {
                throw new IndexOutOfBoundsException("cross-entropy target " + t[i] + " at row " + i + " is outside [0, " + vocab + ")");
            }
        }
        return t;
    }

    /** Per-row loss lse - x[target] (0 for ignored rows) and the row log-sum-exp. */
    public static FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targetTensor, long ignoreIndex) {
        Tensor xc = Contig.of(logits);
        int n = logits.size(0), v = logits.size(1);
        long[] t = targets(targetTensor, ignoreIndex, v);
        Tensor losses = Tensor.zeros(DType.F32, n), lse = Tensor.zeros(DType.F32, n);
        MemorySegment xs = xc.hostSegment(), ls = losses.hostSegment(), es = lse.hostSegment();
        long xo = xc.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long row = xo + (long) r * v;
                float m = Vec.max(xs, row, v);
                float shift = m == Float.NEGATIVE_INFINITY ? 0 : m;
                double l = Math.log(Vec.sumExp(xs, row, v, shift)) + shift;
                Vec.set(es, r, (float) l);
                if (t[r] != ignoreIndex) Vec.set(ls, r, (float) (l - Vec.get(xs, row + t[r])));
            }
        });
        return new FusedResults.CrossEntropy(losses, lse);
    }

    /** dlogits = dLoss · (softmax - onehot(target)); zero rows for ignored targets. */
    public static Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targetTensor, Tensor lseTensor, long ignoreIndex) {
        Tensor xc = Contig.of(logits);
        int n = logits.size(0), v = logits.size(1);
        long[] t = targets(targetTensor, ignoreIndex, v);
        float[] dl = dLosses.toFloatArray(), lse = lseTensor.toFloatArray();
        Tensor dx = Tensor.zeros(DType.F32, n, v);
        MemorySegment xs = xc.hostSegment(), ds = dx.hostSegment();
        long xo = xc.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            for (int r = from; r < to; r++) {
                if (t[r] == ignoreIndex) continue;
                long row = xo + (long) r * v, out = (long) r * v;
                float scale = dl[r], shift = lse[r];
                int i = 0, bound = Vec.F.loopBound(v);
                for (; i < bound; i += Vec.L) {
                    Vec.store(Vec.load(xs, row + i).sub(shift).lanewise(VectorOperators.EXP).mul(scale), ds, out + i);
                }
                for (; i < v; i++) Vec.set(ds, out + i, (float) Math.exp(Vec.get(xs, row + i) - shift) * scale);
                Vec.set(ds, out + t[r], Vec.get(ds, out + t[r]) - scale);
            }
        });
        return dx;
    }
}
