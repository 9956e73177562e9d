package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;

/** torch.nn.LayerNorm over the last dim with weight (ones) and bias (zeros). */
public final class LayerNorm extends Module {
    private final Parameter weight, bias; // [C]
    private final double eps;

    public LayerNorm(int dim, double eps) {
        this.weight = registerParameter("weight", new Parameter(Init.constant(1, dim)));
        this.bias = registerParameter("bias", new Parameter(Init.constant(0, dim)));
        this.eps = eps;
    }

    public Variable forward(Variable x) { return Fused.layerNorm(x, weight.variable(), bias.variable(), eps); }
}
