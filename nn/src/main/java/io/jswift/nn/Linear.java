package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.tensor.Generator;

/** y = x·Wᵀ + b with weight [out, in] and optional bias [out] (torch.nn.Linear). */
public class Linear extends Module implements LinearLayer {
    private final int inFeatures, outFeatures;
    private final Parameter weight; // [out, in]
    private final Parameter bias;   // [out] or null

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, inFeatures, outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", new Parameter(Init.kaimingUniform(gen, inFeatures, outFeatures))) : null;
    }

    @Override
    public Variable forward(Variable x) {
        if (x.size(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " → " + outFeatures + ") got input with last dim "
                    + x.size(-1) + " (shape " + java.util.Arrays.toString(x.shape()) + ")");
        }
        return LinearAlgebra.linear(x, weight.variable(), bias == null ? null : bias.variable());
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    @Override
    public int inFeatures() { return inFeatures; }

    @Override
    public int outFeatures() { return outFeatures; }
}
