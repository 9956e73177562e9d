package io.jswift.backend.cpu.kernels;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Exact (erf) GELU in f32 lanes: gelu(x) = x·Φ(x), Φ(x) = erfc(-x/√2)/2, within ~5e-7 relative of the
 * double-precision value over the whole f32 range (the scalar erf series is ~50x slower).
 *
 * <p>erfc(z) for z >= 0 is written t·exp(-z² + Q(t)) with t = 1/(1 + z/2), the classic form whose
 * Q is smooth on t in (0, 1]; Q here is our own degree-9 least-squares fit (reweighted towards minimax)
 * of ln(erfc(z)/t) + z² against Python's math.erfc for z in [0, 10], with relative error 4.5e-8 in
 * exact arithmetic ({@code tools/numerics/fit_gelu_erfc.py} reproduces it). Beyond z = 10 the f32 result is 0 or 1 anyway. For negative x, Φ = 1 - erfc(|x|/√2)/2.
 * z² = x²/2 is carried as an exact pair (hi, lo) through an FMA, so large |x| lose no accuracy there.
 */
final class VectorGelu {
    /** Q(t) = Q0 + Q1·t + ... + Q9·t⁹. */
    private static final float Q0 = -1.265441445132224f, Q1 = 0.9984926669677316f, Q2 = 0.3878983917717233f,
            Q3 = 0.028363655855009287f, Q4 = 0.020176348581453517f, Q5 = -0.1167500499316313f,
            Q6 = -0.6512941742934456f, Q7 = 1.1224354897971989f, Q8 = -0.6660777878686035f, Q9 = 0.14219694947610728f;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    /** |x| beyond this gives Φ = 0 or 1 in f32; clamping keeps inf out of the FMA (inf - inf). */
    private static final float CLAMP = 20f;

    private VectorGelu() {}

    /** Elements per pass (see row). */
    private static final int CHUNK = 256;

    /**
     * os[oo, oo + n) = gelu(xs[xo, xo + n)), contiguous f32, in chunks of two passes, each its own method: the first
     * stores e^(-hi/2) in a scratch row, the second finishes. One method holding both VecMath.exp calls outgrew C2's
     * node budget for inlining (NodeCountInliningCutoff), and the exp it left as a call took its vectors boxed. The
     * vector bodies sit in these loops: a call that passes vectors and is not inlined makes C2 box them.
     */
    static void row(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int bound = F.loopBound(n);
        float[] first = new float[Math.min(CHUNK, bound)];
        for (int c = 0; c < bound; c += CHUNK) {
            int end = Math.min(bound, c + CHUNK);
            halfSquareExps(xs, xo, first, c, end);
            finish(xs, xo, os, oo, first, c, end);
        }
        for (int i = bound; i < n; i++) {
            os.setAtIndex(HostAccess.F32, oo + i, (float) ScalarMath.unary(UnaryOp.GELU, xs.getAtIndex(HostAccess.F32, xo + i)));
        }
    }

    /** first[i - c] = e^(-x²/2) (x clamped, x² rounded to hi) for i in [c, end). */
    private static void halfSquareExps(MemorySegment xs, long xo, float[] first, int c, int end) {
        for (int i = c; i < end; i += F.length()) {
            FloatVector xc = FloatVector.fromMemorySegment(F, xs, (xo + i) * 4, NATIVE).max(-CLAMP).min(CLAMP);
            VecMath.exp(xc.mul(xc).mul(-0.5f)).intoArray(first, i - c);
        }
    }

    private static void finish(MemorySegment xs, long xo, MemorySegment os, long oo, float[] first, int c, int end) {
        for (int i = c; i < end; i += F.length()) {
            FloatVector x = FloatVector.fromMemorySegment(F, xs, (xo + i) * 4, NATIVE);
            FloatVector xc = x.max(-CLAMP).min(CLAMP);
            FloatVector t = x.broadcast(1f).div(xc.abs().mul(INV_SQRT2 * 0.5f).add(1f));
            FloatVector q = t.fma(Q9, Q8).fma(t, x.broadcast(Q7)).fma(t, x.broadcast(Q6)).fma(t, x.broadcast(Q5))
                    .fma(t, x.broadcast(Q4)).fma(t, x.broadcast(Q3)).fma(t, x.broadcast(Q2)).fma(t, x.broadcast(Q1)).fma(t, x.broadcast(Q0));
            FloatVector hi = xc.mul(xc), lo = xc.fma(xc, hi.neg()); // x² = hi + lo exactly
            FloatVector halfErfc = t.mul(0.5f).mul(FloatVector.fromArray(F, first, i - c)).mul(VecMath.exp(q.sub(lo.mul(0.5f))));
            FloatVector phi = halfErfc.blend(halfErfc.neg().add(1f), xc.compare(VectorOperators.GE, 0f));
            x.mul(phi).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
    }
}
