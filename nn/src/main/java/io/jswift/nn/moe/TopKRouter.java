package io.jswift.nn.moe;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;

/**
 * The router of a MoE block (transformers 5's MixtralTopKRouter / Qwen2MoeTopKRouter / GptOssTopKRouter): a projection
 * {@code weight} [E, C] (plus {@code bias} [E] in GPT-OSS) of each token to one logit per expert. Not an nn.Linear in transformers 5, so PEFT's all-linear
 * does not wrap it by type, and neither does jswift's. Dims: E experts, C hidden, N tokens.
 */
public final class TopKRouter extends Module {
    private final Parameter weight;         // [E, C]
    private final Parameter correctionBias; // [E] or null
    private final Parameter bias;           // [E] or null

    public TopKRouter(int numExperts, int hidden, Generator gen) {
        this(numExperts, hidden, false, gen);
    }

    /**
     * {@code correctionBias}: GLM-4.5 / DeepSeek-V3's {@code e_score_correction_bias} [E], a buffer (learned outside
     * back-propagation, float32) added to the scores for the choice of experts only.
     */
    public TopKRouter(int numExperts, int hidden, boolean correctionBias, Generator gen) {
        this(numExperts, hidden, correctionBias, false, gen);
    }

    /** {@code bias}: a learned logit bias [E] (GPT-OSS's GptOssTopKRouter: F.linear(x, weight, bias)). */
    public TopKRouter(int numExperts, int hidden, boolean correctionBias, boolean bias, Generator gen) {
        weight = registerParameter("weight", new Parameter(Init.kaimingUniform(gen, hidden, numExperts, hidden)));
        this.bias = bias ? registerParameter("bias", new Parameter(Init.kaimingUniform(gen, hidden, numExperts))) : null;
        this.correctionBias = correctionBias ? registerParameter("e_score_correction_bias", Parameter.buffer(Init.constant(0, numExperts))) : null;
    }

    /** The correction bias [E], or null. */
    public Parameter correctionBias() { return correctionBias; }

    /** x [N, C] → router logits [N, E]. */
    public Variable logits(Variable x) { return LinearAlgebra.linear(x, weight.variable(), bias == null ? null : bias.variable()); }

    public Parameter weight() { return weight; }

    /** The logit bias [E] (GPT-OSS), or null. */
    public Parameter bias() { return bias; }
}
