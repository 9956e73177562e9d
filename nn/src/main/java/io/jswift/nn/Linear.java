package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** y = x·Wᵀ + b with weight [out, in] and optional bias [out] (torch.nn.Linear). */
public class Linear extends Module implements LinearBase {
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

    @Override
    public Parameter bias() { return bias; }

    @Override
    public Variable project(Variable x) {
        return LinearAlgebra.linear(x, weight.variable(), null);
    }

    @Override
    public Map<String, Parameter> baseParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        out.put("weight", weight);
        if (bias != null) out.put("bias", bias);
        return out;
    }

    @Override
    public Tensor denseWeight() { return weight.value(); }

    @Override
    public int inFeatures() { return inFeatures; }

    @Override
    public int outFeatures() { return outFeatures; }
}
