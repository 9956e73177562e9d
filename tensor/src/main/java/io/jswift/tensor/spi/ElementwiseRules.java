package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Result dtypes and checks of the elementwise ops ({@link Backend#unary}, {@link Backend#binary},
 * {@link Backend#binaryScalar}, {@link Backend#where}, {@link Backend#copy}), the one definition every backend follows (PyTorch's
 * type promotion, with integer arithmetic exact in 64 bits).
 */
public final class ElementwiseRules {
    private ElementwiseRules() {}

    /** Floats keep their dtype; integer inputs of float functions give F32; NEG/ABS/SIGN/SQUARE keep integers (BOOL/U8 widen to I64). */
    public static DType unaryType(UnaryOp op, DType in) {
        if (in.isFloatingPoint()) return in;
        return switch (op) {
            case NEG, ABS, SIGN, SQUARE -> in == DType.BOOL || in == DType.U8 ? DType.I64 : in;
            default -> DType.F32;
        };
    }

    /** BOOL for comparisons; F32 for integer division; arithmetic on BOOL/U8 widens to I64 (not MAX/MIN); else the promoted type. */
    public static DType binaryType(BinaryOp op, DType a, DType b) {
        if (op.isComparison()) return DType.BOOL;
        DType p = DType.promote(a, b);
        if (op == BinaryOp.DIV && !p.isFloatingPoint()) return DType.F32;
        if (p == DType.BOOL || p == DType.U8) return op == BinaryOp.MAX || op == BinaryOp.MIN ? p : DType.I64;
        return p;
    }

    /**
     * The dtype a scalar operand of {@code a op s} takes, as in PyTorch: that of a floating tensor's compute type
     * (F64 for F64, else F32), I64 for an integral scalar with an integer tensor, F64 for a fractional one.
     */
    public static DType scalarType(DType a, double s) {
        // every double of magnitude >= 2^53 is an integer; below 2^63 it also fits a long exactly
        boolean integral = s == Math.rint(s) && Math.abs(s) < 0x1p63;
        return a == DType.F64 ? DType.F64 : a.isFloatingPoint() ? DType.F32 : integral ? DType.I64 : DType.F64;
    }

    /**
     * Result dtype of {@code a op s}: BOOL for comparisons; a floating tensor keeps its dtype; an integer tensor
     * stays integer with an integral scalar and gives F32 with a fractional one (or for DIV).
     */
    public static DType binaryScalarType(BinaryOp op, DType a, double s) {
        DType r = binaryType(op, a, scalarType(a, s));
        if (op.isComparison()) return r;
        if (a.isFloatingPoint()) return a;
        return r == DType.F64 ? DType.F32 : r;
    }

    /** Result dtype of where(cond, a, b). */
    public static DType whereType(DType a, DType b) {
        return DType.promote(a, b);
    }

    /** The broadcast shape of where's three operands. */
    public static int[] whereShape(Tensor cond, Tensor a, Tensor b) {
        return Shapes.broadcast(Shapes.broadcast(cond.shape(), a.shape()), b.shape());
    }

    /** Integer powers take non-negative exponents only (there is no integer result for x^-1). */
    public static void checkExponent(long e) {
        if (e < 0) throw new ArithmeticException("integer power with a negative exponent " + e);
    }

    /**
     * The checks of {@link Backend#binaryInto}: {@code out} has the broadcast shape and the result dtype of
     * {@code a op b} and no overlapping elements (no stride 0 along a dim of size > 1).
     */
    public static void checkInto(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        DType type = binaryType(op, a.dtype(), b.dtype());
        if (!Arrays.equals(shape, out.shape()) || out.dtype() != type) {
            throw new IllegalArgumentException(op + " into " + out.dtype() + Arrays.toString(out.shape())
                    + ": the result is " + type + Arrays.toString(shape));
        }
        for (int d = 0; d < out.rank(); d++) {
            if (out.stride(d) == 0 && out.size(d) > 1) {
                throw new IllegalArgumentException(op + " into a broadcast view (stride 0 in dim " + d + "): its elements overlap");
            }
        }
    }

    /** The check of {@link Backend#copy}: equal shapes (any dtypes: the copy converts). */
    public static void checkCopy(Tensor src, Tensor dst) {
        if (!Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("copy: source shape " + Arrays.toString(src.shape())
                    + " differs from destination shape " + Arrays.toString(dst.shape()) + " (expand the source to broadcast)");
        }
    }
}
