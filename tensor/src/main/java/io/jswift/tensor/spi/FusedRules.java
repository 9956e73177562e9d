package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Argument checks and result dtypes of the row-wise fused ops (softmax, silu-mul, AdamW) and the checks the
 * other fused ops' rules ({@link NormRules}, {@link RopeRules}, {@link AttentionRules}, {@link CrossEntropyRules})
 * are made of. Every backend and the reference compositions call these, so an op refuses the same input with
 * the same message everywhere.
 */
public final class FusedRules {
    private FusedRules() {}

    /** A null tensor (an optional operand) passes. */
    public static void requireFloating(String op, String name, Tensor t) {
        if (t != null && (!t.dtype().isFloatingPoint() || t.dtype().isPacked())) {
            throw new IllegalArgumentException(op + ": " + name + " must be floating point, got " + t.dtype());
        }
    }

    public static void requireShape(String op, String name, Tensor t, int[] shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        }
    }

    /** A null tensor (an optional operand) passes. */
    public static void requireNumel(String op, String name, Tensor t, long numel) {
        if (t != null && t.numel() != numel) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape()) + " (" + t.numel()
                    + " elements), expected " + numel + " elements");
        }
    }

    /** F64 when any tensor is F64, else F32: the dtype fused ops compute and save statistics in. */
    public static DType computeType(Tensor... ts) {
        for (Tensor t : ts) if (t != null && t.dtype() == DType.F64) return DType.F64;
        return DType.F32;
    }

    /** Rows of a [..., C] tensor. */
    public static int rows(Tensor x) {
        return (int) (x.numel() / Math.max(1, x.size(-1)));
    }

    // ------------------------------------------------------------------ softmax / log-softmax over the last dim

    /** x floating with at least one dim; y takes x's dtype. */
    public static void checkSoftmax(String op, Tensor x) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": x must have at least one dim, got a scalar");
        requireFloating(op, "x", x);
    }

    /** dy shaped like y, both floating; returns dx's dtype, promote(dy, y). */
    public static DType checkSoftmaxBackward(String op, Tensor dy, Tensor y) {
        if (y.rank() == 0) throw new IllegalArgumentException(op + ": y must have at least one dim, got a scalar");
        requireFloating(op, "dy", dy);
        requireFloating(op, "y", y);
        requireShape(op, "dy", dy, y.shape());
        return DType.promote(dy.dtype(), y.dtype());
    }

    // ------------------------------------------------------------------ silu(gate) * up

    /** gate, up (and dy in the backward) floating and of one shape; returns y's dtype, promote(gate, up). */
    public static DType checkSiluMul(String op, Tensor gate, Tensor up, Tensor dy) {
        if (!Arrays.equals(gate.shape(), up.shape()) || (dy != null && !Arrays.equals(dy.shape(), gate.shape()))) {
            throw new IllegalArgumentException(op + ": silu-mul needs equal shapes: gate " + Arrays.toString(gate.shape()) + ", up "
                    + Arrays.toString(up.shape()) + (dy == null ? "" : ", dy " + Arrays.toString(dy.shape())));
        }
        requireFloating(op, "gate", gate);
        requireFloating(op, "up", up);
        requireFloating(op, "dy", dy);
        return DType.promote(gate.dtype(), up.dtype());
    }

    // ------------------------------------------------------------------ AdamW

    /** step is 1-based; grad and the moments are floating and shaped like param. */
    public static void checkAdamW(Tensor p, Tensor g, Tensor m, Tensor v, long step) {
        if (step < 1) throw new IllegalArgumentException("adamwStep: step is 1-based, got " + step);
        String[] names = {"param", "grad", "expAvg", "expAvgSq"};
        Tensor[] ts = {p, g, m, v};
        for (int i = 0; i < ts.length; i++) {
            requireFloating("adamwStep", names[i], ts[i]);
            if (i > 0) requireShape("adamwStep", names[i], ts[i], p.shape());
        }
    }
}
