package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * Softmax and log-softmax over the last dim, forward and backward, f32 rows with the Vector API (other
 * dtypes take the reference composition). Dims: N rows, V row length. Cross-entropy: {@link CrossEntropyKernels}.
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
                    Vec.store(log ? z.sub(lse) : VecMath.exp(z.sub(shift)).mul(inv), ys, out + i);
                }
                for (; i < v; i++) {
                    float z = Vec.get(xs, in + i);
                    Vec.set(ys, out + i, log ? z - lse : VecMath.exp(z - shift) * inv);
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
                float s = log ? Vec.sum(ds, d, v) : Vec.dot(ds, d, ys, yy, v);
                int i = 0, bound = Vec.F.loopBound(v);
                for (; i < bound; i += Vec.L) {
                    FloatVector g = Vec.load(ds, d + i), yv = Vec.load(ys, yy + i);
                    Vec.store(log ? g.sub(VecMath.exp(yv).mul(s)) : yv.mul(g.sub(s)), xs, out + i);
                }
                for (; i < v; i++) {
                    float g = Vec.get(ds, d + i), yv = Vec.get(ys, yy + i);
                    Vec.set(xs, out + i, log ? g - VecMath.exp(yv) * s : yv * (g - s));
                }
            }
        });
        return dx;
    }

    // ------------------------------------------------------------------ any dtype (F64 gradient checks, 16-bit)

    /** softmax / log-softmax of each row in double, rounded once to x's dtype. */
    public static Tensor forwardGeneric(Tensor x, boolean log) {
        Tensor xc = x.contiguous();
        int v = x.size(-1), n = rows(x);
        Tensor y = Tensor.zeros(x.dtype(), x.shape());
        Parallel.range(n, Math.max(1, 4096 / Math.max(1, v)), (from, to) -> {
            double[] buf = new double[v];
            for (int r = from; r < to; r++) {
                Rows.read(xc, r, v, buf);
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (double e : buf) m = Math.max(m, e);
                double shift = m == Double.NEGATIVE_INFINITY ? 0 : m;
                for (double e : buf) sum += Math.exp(e - shift);
                double lse = Math.log(sum) + shift;
                for (int i = 0; i < v; i++) buf[i] = log ? buf[i] - lse : Math.exp(buf[i] - shift) / sum;
                Rows.write(y, r, v, buf);
            }
        });
        return y;
    }

    /** The backward of {@link #forwardGeneric} in double; dx takes promote(dy, y). */
    public static Tensor backwardGeneric(Tensor dy, Tensor y, boolean log) {
        Tensor dc = dy.contiguous(), yc = y.contiguous();
        int v = y.size(-1), n = rows(y);
        Tensor dx = Tensor.zeros(io.jswift.tensor.DType.promote(dy.dtype(), y.dtype()), y.shape());
        Parallel.range(n, Math.max(1, 4096 / Math.max(1, v)), (from, to) -> {
            double[] g = new double[v], yy = new double[v];
            for (int r = from; r < to; r++) {
                Rows.read(dc, r, v, g);
                Rows.read(yc, r, v, yy);
                double s = 0;
                for (int i = 0; i < v; i++) s += log ? g[i] : g[i] * yy[i];
                for (int i = 0; i < v; i++) g[i] = log ? g[i] - Math.exp(yy[i]) * s : yy[i] * (g[i] - s);
                Rows.write(dx, r, v, g);
            }
        });
        return dx;
    }
}
