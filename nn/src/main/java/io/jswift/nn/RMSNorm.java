package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.tensor.DType;

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
        return Fused.rmsNorm(x, unitOffset ? Elementwise.addScalar(widened(), 1) : weight.variable(), eps);
    }

    /**
     * GemmaRMSNorm and Qwen3NextRMSNorm scale by (1 + weight.float()): a bf16 / f16 weight is widened before the 1 is
     * added, or 1 + w would round to the half type. Such a weight is frozen (trainable ones are f32 master weights), so a
     * constant copy loses no gradient.
     */
    private Variable widened() {
        DType t = weight.value().dtype();
        return t == DType.BF16 || t == DType.F16 ? Variable.constant(weight.value().to(DType.F32)) : weight.variable();
    }

    public Parameter weight() { return weight; }

    /** Whether the scale is (1 + weight) (Gemma). */
    public boolean unitOffset() { return unitOffset; }
}
