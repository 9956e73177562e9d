package io.jswift.nn.lora;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

/**
 * LoRA (Hu et al. 2021) and DoRA (Liu et al. 2024) as functions of their tensors, mirroring PEFT's
 * {@code lora.Linear.forward} and {@code DoraLinearLayer}. Dims: I = in features, O = out features, R = rank;
 * x is [..., I], W [O, I], bias [O], A [R, I], B [O, R], magnitude m [O], s = scaling.
 *
 * <p>{@code xDropped} is x after the adapter's dropout, x itself (the same object) when dropout is off (p = 0 or
 * evaluation), which PEFT treats as a separate case for DoRA. The base layer's x·Wᵀ comes in computed
 * ({@code projected}), so any linear base layer (dense or 4-bit) works.
 */
final class LoraOps {
    private LoraOps() {}

    /** y = x·Wᵀ + bias + s · B(A(dropout(x))), from {@code projected} = x·Wᵀ. */
    static Variable lora(Variable projected, Variable bias, Variable xDropped, Variable a, Variable b, double s) {
        Variable base = bias == null ? projected : Elementwise.add(projected, bias);
        return Elementwise.add(base, Elementwise.scale(update(xDropped, a, b), s));
    }

    /**
     * DoRA: with g = m / ‖W + s·B·A‖ (per output row; the norm is a constant here, detached as the paper's §4.3
     * and PEFT), PEFT computes y = x·Wᵀ + bias + (g - 1) ⊙ (dropout(x)·Wᵀ) + g ⊙ s·B(A(dropout(x))). Without
     * dropout ({@code droppedProjected} null: xDropped is x) that is y = g ⊙ (x·Wᵀ + s·B(A(x))) + bias: the bias is
     * not rescaled. {@code projected} = x·Wᵀ, {@code droppedProjected} = dropout(x)·Wᵀ; {@code weightNorm} [O]
     * comes from {@link #weightNorm}.
     */
    static Variable dora(Variable projected, Variable droppedProjected, Variable bias, Variable xDropped, Variable a, Variable b,
                         Variable magnitude, Tensor weightNorm, double s) {
        Variable g = Elementwise.div(magnitude, Variable.constant(weightNorm));
        Variable scaledUpdate = Elementwise.scale(update(xDropped, a, b), s);
        if (droppedProjected == null) {
            Variable y = Elementwise.mul(g, Elementwise.add(projected, scaledUpdate));
            return bias == null ? y : Elementwise.add(y, bias);
        }
        Variable base = bias == null ? projected : Elementwise.add(projected, bias);
        Variable correction = Elementwise.mul(Elementwise.addScalar(g, -1), droppedProjected);
        return Elementwise.add(Elementwise.add(base, correction), Elementwise.mul(g, scaledUpdate));
    }

    /** B(A(x)): [..., I] → [..., O]. */
    private static Variable update(Variable x, Variable a, Variable b) {
        return LinearAlgebra.linear(LinearAlgebra.linear(x, a, null), b, null);
    }

    /** s·B·A [O, I] in f32 (f64 when the factors are f64): the weight update that merging adds. */
    static Tensor deltaWeight(Tensor a, Tensor b, double s) {
        Backend be = a.backend();
        return be.binaryScalar(BinaryOp.MUL, be.matmul(b, a, false, false), s);
    }

    /** ‖W + s·B·A‖₂ over the input dim, one value per output row [O] (PEFT's get_weight_norm), never on the tape. */
    static Tensor weightNorm(Tensor w, Tensor a, Tensor b, double s) {
        return rowNorm(w.backend().binary(BinaryOp.ADD, w, deltaWeight(a, b, s)));
    }

    static Tensor rowNorm(Tensor m) {
        Backend be = m.backend();
        return be.unary(UnaryOp.SQRT, be.reduce(ReduceOp.SUM, be.unary(UnaryOp.SQUARE, m), new int[]{1}, false));
    }

    /**
     * The weight that reproduces the adapter without it (f32, or f64 for f64 factors): W + s·B·A for LoRA;
     * for DoRA (m / ‖W + s·B·A‖)[:, None] · (W + s·B·A), PEFT's DoraLinearVariant.merge. magnitude null = LoRA.
     */
    static Tensor mergedWeight(Tensor w, Tensor a, Tensor b, Tensor magnitude, double s) {
        Backend be = w.backend();
        Tensor updated = be.binary(BinaryOp.ADD, w, deltaWeight(a, b, s));
        if (magnitude == null) return updated;
        Tensor factor = be.binary(BinaryOp.DIV, magnitude, rowNorm(updated));
        return be.binary(BinaryOp.MUL, updated, factor.reshape(factor.size(0), 1));
    }

    /** Whether every element is finite: x·0 is NaN exactly where x is NaN or ±∞, and NaN survives the sum. */
    static boolean allFinite(Tensor t) {
        Backend be = t.backend();
        double sum = be.reduce(ReduceOp.SUM, be.binaryScalar(BinaryOp.MUL, t, 0), new int[0], false).item();
        return !Double.isNaN(sum);
    }
}
