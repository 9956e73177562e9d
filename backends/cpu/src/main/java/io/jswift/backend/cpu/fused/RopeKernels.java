package io.jswift.backend.cpu.fused;

import io.jswift.tensor.spi.RopeRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * HF rotary position embedding (transformers apply_rotary_pos_emb with rotate_half), forward and its
 * transpose. Dims: B batch, H heads, T positions, D head dim, R rotary dims (first R of D rotate, the rest
 * pass through), half = R / 2. With x1 = x[:half], x2 = x[half:R]:
 * forward  y1 = x1·cos1 - x2·sin1,  y2 = x2·cos2 + x1·sin2;
 * backward dx1 = dy1·cos1 + dy2·sin2, dx2 = dy2·cos2 - dy1·sin1.
 * x may be a strided view ([B, T, H, D] projections transposed to [B, H, T, D]); rows are read in place.
 * F32 runs SIMD when D is the unit-stride dim; other dtypes (F64 gradient checks, bf16/f16) compute in double and
 * round once to the input dtype, as the reference composition does.
 */
public final class RopeKernels {
    private RopeKernels() {}

    public static Tensor forward(Tensor x, Tensor cos, Tensor sin) {
        return apply(x, cos, sin, false);
    }

    public static Tensor backward(Tensor dy, Tensor cos, Tensor sin) {
        return apply(dy, cos, sin, true);
    }

    private static Tensor apply(Tensor x, Tensor cosIn, Tensor sinIn, boolean transpose) {
        RopeRules.check(x, cosIn, sinIn);
        int d = x.size(3), r = cosIn.size(-1);
        int bsz = x.size(0), h = x.size(1), t = x.size(2);
        boolean batchedTable = cosIn.rank() == 3;
        DType work = x.dtype() == DType.F64 ? DType.F64 : DType.F32;
        Tensor cos = cosIn.to(work).contiguous(), sin = sinIn.to(work).contiguous(); // [1 or B, T, R]
        Tensor y = Tensor.zeros(x.dtype(), x.shape());                              // [B, H, T, D]
        long sb = x.stride(0), sh = x.stride(1), st = x.stride(2), sd = x.stride(3);
        boolean simd = x.dtype() == DType.F32 && sd == 1;
        Parallel.range(bsz * h * t, Math.max(1, 4096 / Math.max(1, d)), (from, to) -> {
            for (int row = from; row < to; row++) {
                int ti = row % t, hi = (row / t) % h, bi = row / (t * h);
                long in = x.offset() + bi * sb + hi * sh + ti * st, out = (long) row * d;
                long tab = ((long) (batchedTable ? bi : 0) * t + ti) * r;
                if (simd) {
                    rowF32(x.hostSegment(), in, y.hostSegment(), out, cos.hostSegment(), sin.hostSegment(), cos.offset() + tab, sin.offset() + tab, r, d, transpose);
                } else {
                    rowGeneric(x, in, sd, y, out, cos, sin, tab, r, d, transpose);
                }
            }
        });
        return y;
    }

    private static void rowF32(MemorySegment xs, long in, MemorySegment ys, long out, MemorySegment cs, MemorySegment ss,
                               long co, long so, int r, int d, boolean transpose) {
        int half = r / 2, i = 0, bound = Vec.F.loopBound(half);
        for (; i < bound; i += Vec.L) {
            FloatVector x1 = Vec.load(xs, in + i), x2 = Vec.load(xs, in + half + i);
            FloatVector c1 = Vec.load(cs, co + i), c2 = Vec.load(cs, co + half + i);
            FloatVector s1 = Vec.load(ss, so + i), s2 = Vec.load(ss, so + half + i);
            if (transpose) {
                Vec.store(x1.mul(c1).add(x2.mul(s2)), ys, out + i);
                Vec.store(x2.mul(c2).sub(x1.mul(s1)), ys, out + half + i);
            } else {
                Vec.store(x1.mul(c1).sub(x2.mul(s1)), ys, out + i);
                Vec.store(x2.mul(c2).add(x1.mul(s2)), ys, out + half + i);
            }
        }
        for (; i < half; i++) {
            float x1 = Vec.get(xs, in + i), x2 = Vec.get(xs, in + half + i);
            float c1 = Vec.get(cs, co + i), c2 = Vec.get(cs, co + half + i), s1 = Vec.get(ss, so + i), s2 = Vec.get(ss, so + half + i);
            Vec.set(ys, out + i, transpose ? x1 * c1 + x2 * s2 : x1 * c1 - x2 * s1);
            Vec.set(ys, out + half + i, transpose ? x2 * c2 - x1 * s1 : x2 * c2 + x1 * s2);
        }
        if (r < d) MemorySegment.copy(xs, (in + r) * 4, ys, (out + r) * 4, (long) (d - r) * 4);
    }

    /** Any dtype and stride: double arithmetic, one rounding to the output dtype on write. */
    private static void rowGeneric(Tensor x, long in, long sd, Tensor y, long out, Tensor cos, Tensor sin, long tab,
                                   int r, int d, boolean transpose) {
        MemorySegment xs = x.hostSegment(), ys = y.hostSegment(), cs = cos.hostSegment(), ss = sin.hostSegment();
        DType xt = x.dtype(), tt = cos.dtype();
        long co = cos.offset() + tab, so = sin.offset() + tab;
        int half = r / 2;
        for (int i = 0; i < half; i++) {
            double x1 = HostAccess.read(xs, xt, in + i * sd), x2 = HostAccess.read(xs, xt, in + (half + i) * sd);
            double c1 = HostAccess.read(cs, tt, co + i), c2 = HostAccess.read(cs, tt, co + half + i);
            double s1 = HostAccess.read(ss, tt, so + i), s2 = HostAccess.read(ss, tt, so + half + i);
            HostAccess.write(ys, xt, out + i, transpose ? x1 * c1 + x2 * s2 : x1 * c1 - x2 * s1);
            HostAccess.write(ys, xt, out + half + i, transpose ? x2 * c2 - x1 * s1 : x2 * c2 + x1 * s2);
        }
        for (int i = r; i < d; i++) HostAccess.write(ys, xt, out + i, HostAccess.read(xs, xt, in + i * sd));
    }
}
