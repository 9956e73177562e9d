package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;

/**
 * HF LlamaRMSNorm: weight * x / sqrt(mean(x²) + eps), computed in f32. With {@code unitOffset} (Gemma) the scale is
 * (1 + weight) and the stored weight starts at 0, as GemmaRMSNorm.
 */
public final class RMSNorm extends Module {
    private final Parameter weight; // [C]
    private final double eps;
    private final boolean unitOffset;

    public RMSNorm(int dim, double eps) {
        this(dim, eps, false);
    }

    public RMSNorm(int dim, double eps, boolean unitOffset) {
        this.weight = registerParameter("weight", new Parameter(Init.constant(unitOffset ? 0 : 1, dim)));
        this.eps = eps;
        this.unitOffset = unitOffset;
    }

    public Variable forward(Variable x) {
        Variable scale = unitOffset ? Elementwise.addScalar(weight.variable(), 1) : weight.variable();
        return Fused.rmsNorm(x, scale, eps);
    }

    public Parameter weight() { return weight; }

    /** Whether the scale is (1 + weight) (Gemma). */
    public boolean unitOffset() { return unitOffset; }
}
