package io.jswift.nn.moe;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;

/**
 * The router of a MoE block (transformers 5's MixtralTopKRouter / Qwen2MoeTopKRouter): a bias-free projection
 * {@code weight} [E, C] of each token to one logit per expert. Not an nn.Linear in transformers 5, so PEFT's all-linear
 * does not wrap it by type, and neither does jswift's. Dims: E experts, C hidden, N tokens.
 */
public final class TopKRouter extends Module {
    private final Parameter weight; // [E, C]

    public TopKRouter(int numExperts, int hidden, Generator gen) {
        weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, hidden, numExperts, hidden)));
    }

    /** x [N, C] → router logits [N, E]. */
    public Variable logits(Variable x) { return LinearAlgebra.linear(x, weight.variable(), null); }

    public Parameter weight() { return weight; }
}
