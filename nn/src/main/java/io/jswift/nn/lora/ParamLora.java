package io.jswift.nn.lora;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * LoRA on one 3-D parameter, the fused weights of E experts (PEFT 0.21's {@code lora.ParamWrapper}, selected by
 * {@code target_parameters}): forward reads W + s·ΔW instead of W ({@link Parameter#effective}), so the experts'
 * own grouped ops run unchanged. Dims: E experts, I in, O out, R rank.
 *
 * <p>PEFT's layout, followed exactly: {@code lora_A.weight} [R·E, I] holds expert e's A_e [R, I] in rows e·R .. e·R+R-1,
 * while {@code lora_B.weight} [O, R·E] holds B_e [O, R] in columns k·E + e (B reshaped to [O, R, E]); ΔW_e = B_e·A_e.
 * In and out are read from the parameter: transformers' default expert layout is [E, O, I] (x·W[e]ᵀ), and a module that
 * says {@code is_transposed} (GPT-OSS: x·W[e]) stores [E, I, O], whose delta is (B_e·A_e)ᵀ. The scaling is
 * alpha / r (alpha / √r with rsLoRA). PEFT refuses dropout (it cannot be factored out of x·(W + ΔW)), DoRA and biases.
 */
public final class ParamLora extends Module implements UnaryOperator<Variable> {
    private final Parameter target;
    private final String parameterName;
    private final String key;           // the parameter's dotted path in the model, e.g. model.layers.1.mlp.experts.gate_up_proj
    private final boolean transposed;
    private final int experts, rank;
    private final double scaling;
    private final Linear loraA; // weight [R·E, I]
    private final Linear loraB; // weight [O, R·E]
    private boolean disabled;   // inside an AdaptersDisabled scope: forward reads W

    /**
     * LoRA on {@code target} (named {@code parameterName} in its module, at dotted {@code key} in the model), which a
     * module of {@code transposed} layout uses as x·W[e]; rank and scaling are {@code config}'s for {@code key}
     * (rank_pattern / alpha_pattern). A is Kaiming-uniform from {@code gen} (PEFT's reset: U(±1/√I)), B is
     * zero; a null {@code gen} leaves A unset (meta) for weights loaded afterwards.
     */
    public ParamLora(Parameter target, String parameterName, String key, boolean transposed, LoraConfig config, Generator gen) {
        int[] shape = target.shape();
        if (shape.length != 3) {
            throw new IllegalArgumentException("target_parameters: '" + parameterName + "' has shape " + Arrays.toString(shape)
                    + ": LoRA on a parameter needs the 3-D weights of fused experts [experts, ., .]");
        }
        requireSupported(config.dropout(), config.useDora());
        this.target = target;
        this.parameterName = parameterName;
        this.key = key;
        this.transposed = transposed;
        this.experts = shape[0];
        int in = transposed ? shape[1] : shape[2], out = transposed ? shape[2] : shape[1];
        this.rank = config.rankFor(key);
        this.scaling = config.scalingFor(key);
        loraA = registerModule("lora_A", new Linear(in, rank * experts, false, gen));
        loraB = registerModule("lora_B", new Linear(rank * experts, out, false, null));
        loraB.weight().setValue(Tensor.zeros(DType.F32, out, rank * experts));
        if (!target.value().isMeta()) {
            loraA.to(target.device());
            loraB.to(target.device());
        }
    }

    /** PEFT's ParamWrapper refusals that jswift's flags can reach. */
    static void requireSupported(double dropout, boolean useDora) {
        if (dropout != 0) {
            throw new IllegalArgumentException("target_parameters needs lora_dropout 0 (got " + dropout + "): PEFT's ParamWrapper "
                    + "cannot apply dropout to a fused parameter's input; pass --lora_dropout 0");
        }
        if (useDora) throw new IllegalArgumentException("target_parameters does not work with DoRA (PEFT's ParamWrapper refuses use_dora)");
    }

    /** W + s·ΔW, or W alone while disabled: what the experts read in forward. */
    @Override
    public Variable apply(Variable w) {
        if (disabled) return w;
        return adapted(w, loraA.weight().variable(), loraB.weight().variable(), rank, scaling, transposed);
    }

    /**
     * W + s·ΔW for W [E, O, I] (or [E, I, O] when {@code transposed}), A [R·E, I], B [O, R·E] in PEFT's layout: a
     * composition of differentiable views and one batched matmul, so the gradients of W, A and B follow.
     */
    static Variable adapted(Variable w, Variable a, Variable b, int rank, double scaling, boolean transposed) {
        int experts = w.size(0), in = w.size(transposed ? 1 : 2), out = w.size(transposed ? 2 : 1);
        Variable ae = Views.reshape(a, experts, rank, in);                              // [E, R, I]: rows e·R .. e·R+R-1
        Variable be = Views.permute(Views.reshape(b, out, rank, experts), 2, 0, 1);     // [E, O, R]: columns k·E + e
        Variable delta = transposed ? LinearAlgebra.matmul(ae, be, true, true)          // (B_e·A_e)ᵀ = A_eᵀ·B_eᵀ [E, I, O]
                : LinearAlgebra.matmul(be, ae, false, false);                            // B_e·A_e [E, O, I]
        return Elementwise.add(w, Elementwise.scale(delta, scaling));
    }

    /**
     * The merged weight W + s·ΔW in W's dtype, computed in f32 (f64 for an f64 weight) and rounded once; fails when an
     * element is not finite (PEFT's safe_merge check).
     */
    public Tensor mergedWeight() {
        Tensor w = target.value();
        Tensor merged;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            DType wide = w.dtype() == DType.F64 ? DType.F64 : DType.F32;
            Variable a = Variable.leaf(loraA.weight().value().to(wide), false), b = Variable.leaf(loraB.weight().value().to(wide), false);
            merged = adapted(Variable.leaf(w.to(wide), false), a, b, rank, scaling, transposed).value();
        }
        Tensor outValue = merged.dtype() == w.dtype() ? merged : merged.to(w.dtype());
        if (!LoraOps.allFinite(outValue)) {
            throw new IllegalStateException("merging the adapter gives non-finite values (NaN or Inf) in a " + w.dtype() + " weight "
                    + Arrays.toString(w.shape()) + ": the adapter weights are broken or overflow " + w.dtype());
        }
        return outValue;
    }

    void setDisabled(boolean disabled) { this.disabled = disabled; }

    public boolean disabled() { return disabled; }

    /** The adapted parameter. */
    public Parameter target() { return target; }

    /** The adapted parameter's dotted path in the model (what rank_pattern / alpha_pattern match). */
    public String key() { return key; }

    /** Its name in its module, e.g. gate_up_proj. */
    public String parameterName() { return parameterName; }

    public int numExperts() { return experts; }

    public int rank() { return rank; }

    public double scaling() { return scaling; }

    /** lora_A.weight and lora_B.weight. */
    public Map<String, Parameter> adapterParameters() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("lora_A.weight", loraA.weight());
        m.put("lora_B.weight", loraB.weight());
        return m;
    }
}
