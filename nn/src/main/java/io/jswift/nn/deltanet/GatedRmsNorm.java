package io.jswift.nn.deltanet;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.spi.UnaryOp;

/**
 * transformers' Qwen3NextRMSNormGated: weight · x / sqrt(mean(x²) + eps) · silu(gate), the norm before the gate, the
 * weight plain (initialized to 1, unlike Qwen3-Next's zero-centred RMSNorm).
 */
public final class GatedRmsNorm extends Module {
    private final Parameter weight; // [D]
    private final double eps;

    public GatedRmsNorm(int dim, double eps) {
        this.weight = registerParameter("weight", new Parameter(Init.constant(1, dim)));
        this.eps = eps;
    }

    public Parameter weight() { return weight; }

    /** x, gate [..., D] → [..., D]. */
    public Variable forward(Variable x, Variable gate) {
        return Elementwise.mul(Fused.rmsNorm(x, weight.variable(), eps), Elementwise.unary(UnaryOp.SILU, gate));
    }
}
