package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.spi.FusedRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * SwiGLU activation silu(gate) · up (HF LlamaMLP: down(act(gate(x)) * up(x))) and its backward, elementwise
 * over any shape. With s = σ(g): y = g·s·u; dGate = dy·u·s·(1 + g·(1 - s)); dUp = dy·g·s.
 * F32 runs SIMD over contiguous data; other dtypes compute in double and round once to the result dtype
 * (promote(gate, up)). Strided inputs (e.g. halves of a fused gate_up projection) are copied contiguous first.
 */
public final class SiluMulKernels {
    private static final int BLOCK = 16384;

    private SiluMulKernels() {}

    public static Tensor forward(Tensor gateIn, Tensor upIn) {
        DType dt = FusedRules.checkSiluMul("siluMul", gateIn, upIn, null);
        Tensor g = gateIn.contiguous(), u = upIn.contiguous();
        Tensor y = Tensor.zeros(dt, g.shape());
        MemorySegment gs = g.hostSegment(), us = u.hostSegment(), ys = y.hostSegment();
        long go = g.offset(), uo = u.offset(), n = g.numel();
        boolean simd = g.dtype() == DType.F32 && u.dtype() == DType.F32;
        blocks(n, (lo, hi) -> {
            long i = lo;
            if (simd) {
                for (; i + Vec.L <= hi; i += Vec.L) {
                    FloatVector gv = Vec.load(gs, go + i);
                    Vec.store(gv.mul(VecMath.sigmoid(gv)).mul(Vec.load(us, uo + i)), ys, i);
                }
            }
            for (; i < hi; i++) {
                if (simd) {
                    float gi = Vec.get(gs, go + i);
                    Vec.set(ys, i, gi * VecMath.sigmoid(gi) * Vec.get(us, uo + i)); // the lanes' operations, so their bits
                    continue;
                }
                double gi = HostAccess.read(gs, g.dtype(), go + i);
                HostAccess.write(ys, dt, i, gi / (1 + Math.exp(-gi)) * HostAccess.read(us, u.dtype(), uo + i));
            }
        });
        return y;
    }

    /** {dGate, dUp}, each in the dtype of its input. */
    public static Tensor[] backward(Tensor dyIn, Tensor gateIn, Tensor upIn) {
        FusedRules.checkSiluMul("siluMulBackward", gateIn, upIn, dyIn);
        Tensor dy = dyIn.contiguous(), g = gateIn.contiguous(), u = upIn.contiguous();
        Tensor dg = Tensor.zeros(g.dtype(), g.shape()), du = Tensor.zeros(u.dtype(), u.shape());
        MemorySegment ds = dy.hostSegment(), gs = g.hostSegment(), us = u.hostSegment(), dgs = dg.hostSegment(), dus = du.hostSegment();
        long doff = dy.offset(), go = g.offset(), uo = u.offset(), n = g.numel();
        boolean simd = dy.dtype() == DType.F32 && g.dtype() == DType.F32 && u.dtype() == DType.F32;
        blocks(n, (lo, hi) -> {
            long i = lo;
            if (simd) {
                for (; i + Vec.L <= hi; i += Vec.L) {
                    FloatVector dv = Vec.load(ds, doff + i), gv = Vec.load(gs, go + i), uv = Vec.load(us, uo + i);
                    FloatVector s = VecMath.sigmoid(gv);
                    FloatVector dsilu = s.mul(gv.mul(s.neg().add(1f)).add(1f));
                    Vec.store(dv.mul(uv).mul(dsilu), dgs, i);
                    Vec.store(dv.mul(gv).mul(s), dus, i);
                }
            }
            for (; i < hi; i++) {
                if (simd) {
                    backwardLane(Vec.get(ds, doff + i), Vec.get(gs, go + i), Vec.get(us, uo + i), dgs, dus, i, i);
                    continue;
                }
                double d = HostAccess.read(ds, dy.dtype(), doff + i), gi = HostAccess.read(gs, g.dtype(), go + i);
                double ui = HostAccess.read(us, u.dtype(), uo + i), s = 1 / (1 + Math.exp(-gi));
                HostAccess.write(dgs, g.dtype(), i, d * ui * s * (1 + gi * (1 - s)));
                HostAccess.write(dus, u.dtype(), i, d * gi * s);
            }
        });
        return new Tensor[]{dg, du};
    }

    /**
     * silu(gate)·up for {@code rows} f32 rows of a fused gate/up projection h (row r: gate at {@code h + r·2n},
     * up n after it) into out (row r at {@code out + r·n}), on the calling thread: the MoE experts' activation,
     * run inside the expert's task.
     */
    public static void forwardRows(MemorySegment hs, long h, MemorySegment os, long out, int rows, int n) {
        for (int r = 0; r < rows; r++, h += 2L * n, out += n) {
            int i = 0;
            for (; i + Vec.L <= n; i += Vec.L) {
                FloatVector gv = Vec.load(hs, h + i);
                Vec.store(gv.mul(VecMath.sigmoid(gv)).mul(Vec.load(hs, h + n + i)), os, out + i);
            }
            for (; i < n; i++) {
                float g = Vec.get(hs, h + i);
                Vec.set(os, out + i, g * VecMath.sigmoid(g) * Vec.get(hs, h + n + i));
            }
        }
    }

    /**
     * The backward of {@link #forwardRows}: from dGated (row r at {@code dy + r·n}) and h, dh = [dGate | dUp] (row r
     * at {@code dh + r·2n}).
     */
    public static void backwardRows(MemorySegment ds, long dy, MemorySegment hs, long h, MemorySegment dhs, long dh, int rows, int n) {
        for (int r = 0; r < rows; r++, dy += n, h += 2L * n, dh += 2L * n) {
            int i = 0;
            for (; i + Vec.L <= n; i += Vec.L) {
                FloatVector dv = Vec.load(ds, dy + i), gv = Vec.load(hs, h + i), uv = Vec.load(hs, h + n + i);
                FloatVector s = VecMath.sigmoid(gv);
                FloatVector dsilu = s.mul(gv.mul(s.neg().add(1f)).add(1f));
                Vec.store(dv.mul(uv).mul(dsilu), dhs, dh + i);
                Vec.store(dv.mul(gv).mul(s), dhs, dh + n + i);
            }
            for (; i < n; i++) backwardLane(Vec.get(ds, dy + i), Vec.get(hs, h + i), Vec.get(hs, h + n + i), dhs, dhs, dh + i, dh + n + i);
        }
    }

    /** One f32 element of the backward, the same operations as a lane of the SIMD loops (so the same bits). */
    private static void backwardLane(float d, float g, float u, MemorySegment dgs, MemorySegment dus, long dgAt, long duAt) {
        float s = VecMath.sigmoid(g);
        float dsilu = s * (g * (-s + 1f) + 1f);
        Vec.set(dgs, dgAt, d * u * dsilu);
        Vec.set(dus, duAt, d * g * s);
    }

    @FunctionalInterface
    private interface LongRange {
        void run(long lo, long hi);
    }

    /** Parallel over blocks of BLOCK elements (a multiple of every vector length). */
    private static void blocks(long n, LongRange body) {
        int count = (int) ((n + BLOCK - 1) / BLOCK);
        Parallel.range(count, 4, (from, to) -> body.run((long) from * BLOCK, Math.min(n, (long) to * BLOCK)));
    }
}
