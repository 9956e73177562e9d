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
 * SIMD rows of unary f32 ops (contiguous in and out), one straight loop per op for the reason given in
 * {@link VectorBinaryRows}: a shared loop that picks the op per vector through a switch method made C2
 * box the vectors whenever that method was not inlined, which depended on the run's profile (the same
 * tanh row took 2 or 20 ms). Transcendentals come from {@link VecMath}, whose bits do not depend on the JIT tier.
 */
final class VectorUnaryRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private VectorUnaryRows() {}

    static boolean supports(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, EXP, LOG, SQRT, RSQRT, RECIPROCAL, SQUARE, TANH, SIGMOID, SILU, RELU, GELU_TANH, GELU -> true;
            // SIN, COS: no SIMD form (a vector sin/cos needs a full-range argument reduction); the scalar Math.sin/cos
            // path is the same in every JIT tier, which the Vector API's SIN/COS lanes (SVML under C2) were not
            default -> false;
        };
    }

    private static FloatVector load(MemorySegment s, long off) {
        return FloatVector.fromMemorySegment(F, s, off * 4, NATIVE);
    }

    /** os[oo, oo + n) = op(xs[xo, xo + n)). */
    static void row(UnaryOp op, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        if (op == UnaryOp.GELU) {
            VectorGelu.row(xs, xo, os, oo, n);
            return;
        }
        int bound = F.loopBound(n);
        int done = switch (op) {
            case NEG -> neg(xs, xo, os, oo, bound);
            case ABS -> abs(xs, xo, os, oo, bound);
            case EXP -> exp(xs, xo, os, oo, bound);
            case LOG -> log(xs, xo, os, oo, bound);
            case SQRT -> sqrt(xs, xo, os, oo, bound);
            case RSQRT -> rsqrt(xs, xo, os, oo, bound);
            case RECIPROCAL -> reciprocal(xs, xo, os, oo, bound);
            case SQUARE -> square(xs, xo, os, oo, bound);
            case TANH -> tanh(xs, xo, os, oo, bound);
            case SIGMOID -> sigmoid(xs, xo, os, oo, bound);
            case SILU -> silu(xs, xo, os, oo, bound);
            case RELU -> relu(xs, xo, os, oo, bound);
            case GELU_TANH -> geluTanh(xs, xo, os, oo, bound);
            default -> throw new IllegalStateException(op + " has no SIMD form");
        };
        for (int i = done; i < n; i++) os.setAtIndex(HostAccess.F32, oo + i, tail(op, xs.getAtIndex(HostAccess.F32, xo + i)));
    }

    /**
     * One tail element: the lanes' own operations where VecMath has scalar twins, so an element gets the same bits
     * in a tail as in a vector (and does not depend on the row's length); {@link ScalarMath} otherwise.
     */
    private static float tail(UnaryOp op, float x) {
        return switch (op) {
            case EXP -> VecMath.exp(x);
            case LOG -> VecMath.log(x);
            case TANH -> VecMath.tanh(x);
            case SIGMOID -> VecMath.sigmoid(x);
            case SILU -> x * VecMath.sigmoid(x);
            case GELU_TANH -> x * 0.5f * (VecMath.tanh((x * x * x * 0.044715f + x) * SQRT_2_OVER_PI) + 1f);
            default -> (float) ScalarMath.unary(op, x);
        };
    }

    private static int neg(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.neg().intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int abs(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.abs().intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int exp(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            VecMath.exp(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int log(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            VecMath.log(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int sqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.sqrt().intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int rsqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.broadcast(1f).div(x.sqrt()).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int reciprocal(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.broadcast(1f).div(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int square(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.mul(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int tanh(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            VecMath.tanh(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int sigmoid(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            VecMath.sigmoid(x).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int silu(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.mul(VecMath.sigmoid(x)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int relu(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.max(0f).blend(x, x.test(VectorOperators.IS_NAN)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }

    private static int geluTanh(MemorySegment xs, long xo, MemorySegment os, long oo, int bound) {
        for (int i = 0; i < bound; i += F.length()) {
            FloatVector x = load(xs, xo + i);
            x.mul(0.5f).mul(VecMath.tanh(x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI)).add(1f)).intoMemorySegment(os, (oo + i) * 4, NATIVE);
        }
        return bound;
    }
}
