package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.spi.CrossEntropyRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Cross-entropy of logits [N, V] against integer targets [N] (torch.nn.functional.cross_entropy with
 * reduction='none'), forward and backward. Dims: N rows (tokens), V vocabulary.
 * loss[n] = lse[n] - x[n, target[n]], 0 where target = ignoreIndex; dlogits = dLoss · (softmax - onehot).
 * F32 rows run SIMD in place; bf16/f16 rows are widened one row at a time into a per-thread f32 buffer
 * (the [N, V] logits are never copied whole), then take the same SIMD path; F64 rows compute in double.
 * losses and lse are f32 (f64 for F64 logits); dlogits takes the logits' dtype.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {}

    /** The targets as longs, checked: each is ignoreIndex or in [0, V), else the row and value are named. */
    private static long[] targets(Tensor logits, Tensor targets, long ignoreIndex) {
        CrossEntropyRules.check(logits, targets);
        long[] t = targets.toLongArray();
        CrossEntropyRules.checkTargets(t, ignoreIndex, logits.size(1));
        return t;
    }

    /** One row of logits as f32 memory: the tensor itself for F32, else a widened copy in {@code scratch}. */
    private record Row(MemorySegment seg, long off) {
        static Row of(Tensor x, int r, int v, float[] scratch) {
            long base = x.offset() + (long) r * v;
            if (x.dtype() == DType.F32) return new Row(x.hostSegment(), base);
            MemorySegment s = x.hostSegment();
            if (x.dtype() == DType.BF16) {
                for (int i = 0; i < v; i++) scratch[i] = Half.bf16ToFloat(s.getAtIndex(HostAccess.I16, base + i));
            } else {
                for (int i = 0; i < v; i++) scratch[i] = (float) HostAccess.read(s, x.dtype(), base + i);
            }
            return new Row(MemorySegment.ofArray(scratch), 0);
        }
    }

    public static FusedResults.CrossEntropy forward(Tensor logits, Tensor targetTensor, long ignoreIndex) {
        long[] t = targets(logits, targetTensor, ignoreIndex);
        Tensor x = logits.contiguous();
        int n = x.size(0), v = x.size(1);
        boolean f64 = x.dtype() == DType.F64;
        DType st = f64 ? DType.F64 : DType.F32;
        Tensor losses = Tensor.zeros(st, n), lse = Tensor.zeros(st, n);
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            float[] scratch = f64 || x.dtype() == DType.F32 ? null : new float[v];
            double[] buf = f64 ? new double[v] : null;
            for (int r = from; r < to; r++) {
                double l, picked;
                if (f64) {
                    Rows.read(x, r, v, buf);
                    l = logSumExp(buf);
                    picked = t[r] == ignoreIndex ? 0 : buf[(int) t[r]];
                } else {
                    Row row = Row.of(x, r, v, scratch);
                    float m = Vec.max(row.seg, row.off, v);
                    float shift = m == Float.NEGATIVE_INFINITY ? 0 : m;
                    l = Math.log(Vec.sumExp(row.seg, row.off, v, shift)) + shift;
                    picked = t[r] == ignoreIndex ? 0 : Vec.get(row.seg, row.off + t[r]);
                }
                lse.setDouble(l, r);
                if (t[r] != ignoreIndex) losses.setDouble(l - picked, r);
            }
        });
        return new FusedResults.CrossEntropy(losses, lse);
    }

    public static Tensor backward(Tensor dLosses, Tensor logits, Tensor targetTensor, Tensor lseTensor, long ignoreIndex) {
        CrossEntropyRules.checkBackward(dLosses, logits, targetTensor, lseTensor);
        long[] t = targets(logits, targetTensor, ignoreIndex);
        Tensor x = logits.contiguous();
        int n = x.size(0), v = x.size(1);
        double[] dl = dLosses.toDoubleArray(), lse = lseTensor.toDoubleArray();
        Tensor dx = Tensor.zeros(x.dtype(), n, v);
        MemorySegment ds = dx.hostSegment();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, v)), (from, to) -> {
            float[] scratch = x.dtype() == DType.F32 ? null : new float[v];
            double[] buf = x.dtype() == DType.F64 ? new double[v] : null;
            for (int r = from; r < to; r++) {
                if (t[r] == ignoreIndex) continue;
                int target = (int) t[r];
                if (buf != null) {
                    Rows.read(x, r, v, buf);
                    for (int i = 0; i < v; i++) buf[i] = dl[r] * (Math.exp(buf[i] - lse[r]) - (i == target ? 1 : 0));
                    Rows.write(dx, r, v, buf);
                    continue;
                }
                Row row = Row.of(x, r, v, scratch);
                // F32 writes straight into dlogits; 16-bit computes into the scratch row and rounds on the way out
                MemorySegment out = scratch == null ? ds : row.seg;
                long outOff = scratch == null ? (long) r * v : 0;
                float scale = (float) dl[r], shift = (float) lse[r];
                int i = 0, bound = Vec.F.loopBound(v);
                for (; i < bound; i += Vec.L) {
                    Vec.store(VecMath.exp(Vec.load(row.seg, row.off + i).sub(shift)).mul(scale), out, outOff + i);
                }
                for (; i < v; i++) Vec.set(out, outOff + i, VecMath.exp(Vec.get(row.seg, row.off + i) - shift) * scale);
                Vec.set(out, outOff + target, Vec.get(out, outOff + target) - scale);
                if (scratch != null) for (int j = 0; j < v; j++) HostAccess.write(ds, dx.dtype(), (long) r * v + j, scratch[j]);
            }
        });
        return dx;
    }

    private static double logSumExp(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double e : x) m = Math.max(m, e);
        if (m == Double.NEGATIVE_INFINITY) return m;
        double s = 0;
        for (double e : x) s += Math.exp(e - m);
        return m + Math.log(s);
    }
}
