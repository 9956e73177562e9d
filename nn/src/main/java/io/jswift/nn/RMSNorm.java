package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;

/** HF LlamaRMSNorm: weight * x / sqrt(mean(x²) + eps), computed in f32. */
public final class RMSNorm extends Module {
    private final Parameter weight; // [C]
    private final double eps;

    public RMSNorm(int dim, double eps) {
        this.weight = registerParameter("weight", new Parameter(Init.constant(1, dim)));
        this.eps = eps;
    }

    public Variable forward(Variable x) { return Fused.rmsNorm(x, weight.variable(), eps); }

    public Parameter weight() { return weight; }
}
