package io.jswift.nn.moe;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Grouped;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Activation;
import io.jswift.nn.Init;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.MatmulRules;

/**
 * The routed experts of a MoE block as transformers 5 stores them (MixtralExperts, Qwen2MoeExperts): every expert a
 * gated MLP, fused into 3-D weights — {@code gate_up_proj} [E, 2I, C] (gate rows first, then up) and {@code down_proj}
 * [E, C, I]. Rows arrive grouped by expert, so each projection is one grouped GEMM ({@link Grouped#linear}); with silu
 * (every MoE family here) the whole MLP is one grouped op ({@link Grouped#siluMlp}).
 * Dims: E experts, C hidden, I expert intermediate, M grouped rows.
 */
public final class MoeExperts extends Module implements RoutedExperts {
    private final Parameter gateUp; // [E, 2I, C]
    private final Parameter down;   // [E, C, I]
    private final Activation activation;
    private final int intermediate;

    public MoeExperts(int numExperts, int hidden, int intermediate, Activation activation, Generator gen) {
        this.intermediate = intermediate;
        this.activation = activation;
        gateUp = registerParameter("gate_up_proj", new Parameter(Init.kaimingUniform(gen, hidden, numExperts, 2 * intermediate, hidden)));
        down = registerParameter("down_proj", new Parameter(Init.kaimingUniform(gen, intermediate, numExperts, hidden, intermediate)));
    }

    /** rows [M, C] sorted by expert, {@code counts[e]} rows for expert e → [M, C] (unweighted expert outputs). */
    @Override
    public Variable forward(Variable rows, int[] counts) {
        // effective(): the weights plus a LoRA delta when target_parameters adapts them (ParamLora)
        Variable gateUpW = gateUp.effective(), downW = down.effective();
        if (activation == Activation.SILU) return Grouped.siluMlp(rows, gateUpW, downW, counts); // one node, one task per expert
        Variable both = Grouped.linear(rows, gateUpW, counts); // [M, 2I]
        Variable gate = Views.narrow(both, 1, 0, intermediate), up = Views.narrow(both, 1, intermediate, intermediate);
        Variable gated = Elementwise.mul(activation.apply(gate), up);
        return Grouped.linear(gated, downW, counts);
    }

    /**
     * Whether {@link #combine} may run on {@code x} [N, C]: silu experts, nothing that needs a gradient, and an f32
     * result as the differentiable path's (expert outputs of f32 x in f32, so that the weighted sum rounds as there).
     */
    public boolean combines(Variable x) {
        // a target_parameters LoRA on the experts (ParamLora) trains through the weights: keep such forwards on the tape
        boolean adapted = gateUp.parametrization() != null || down.parametrization() != null;
        boolean taped = GradMode.isEnabled() && (adapted || x.requiresGrad() || gateUp.variable().requiresGrad() || down.variable().requiresGrad());
        return activation == Activation.SILU && !taped && x.dtype() == DType.F32
                && DType.promote(MatmulRules.resultType(x.value(), gateUp.value()), down.value().dtype()) == DType.F32;
    }

    /**
     * Inference: out[n] = Σ weights[m] · MLP_e(m)(x[n]) over the grouped rows m of token n ({@code tokens[m] = n},
     * {@code counts[e]} rows for expert e) → [N, C], one backend call with no tape ({@link Backend#groupedSiluMlpCombine}).
     */
    public Variable combine(Variable x, int[] counts, int[] tokens, float[] weights) {
        Tensor v = x.value();
        return Variable.constant(v.backend().groupedSiluMlpCombine(v, gateUp.effective().value(), down.effective().value(), counts, tokens, weights));
    }

    public Parameter gateUpProj() { return gateUp; }

    public Parameter downProj() { return down; }

    public int numExperts() { return gateUp.shape()[0]; }
}
