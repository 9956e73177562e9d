package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.function.UnaryOperator;

/**
 * A trainable (or frozen) tensor of a module: a leaf {@link Variable}. Frozen base weights may keep their
 * checkpoint dtype (bf16, memory-mapped); trainable ones are f32 master weights.
 */
public final class Parameter {
    private final Variable variable;
    private final boolean buffer;
    private UnaryOperator<Variable> parametrization; // what forward reads instead of the stored value, or null

    public Parameter(Tensor value, boolean requiresGrad) {
        this(value, requiresGrad, false);
    }

    private Parameter(Tensor value, boolean requiresGrad, boolean buffer) {
        this.variable = Variable.leaf(value, requiresGrad);
        this.buffer = buffer;
    }

    /**
     * torch's persistent buffer: in the state dict (loaded and saved with the weights) but never trained —
     * {@link Module#requiresGrad} leaves it frozen (e.g. GLM-4.5's e_score_correction_bias).
     */
    public static Parameter buffer(Tensor value) { return new Parameter(value, false, true); }

    public boolean isBuffer() { return buffer; }

    public Parameter(Tensor value) {
        this(value, value.dtype().isFloatingPoint());
    }

    /** The leaf to pass into autograd ops. */
    public Variable variable() { return variable; }

    /**
     * What a module's forward reads: the leaf, or f(leaf) while a parametrization f is registered — torch's
     * {@code nn.utils.parametrize}, through which PEFT's ParamWrapper adds a LoRA delta to a parameter that is no
     * linear layer's weight (fused MoE experts). Optimizers, state dicts and merges keep using the stored value.
     */
    public Variable effective() { return parametrization == null ? variable : parametrization.apply(variable); }

    /** Registers {@code f} (null removes it); a second one is refused (PEFT nests wrappers, one per parameter). */
    public void parametrize(UnaryOperator<Variable> f) {
        if (f != null && parametrization != null) throw new IllegalStateException("the parameter already has a parametrization");
        parametrization = f;
    }

    public UnaryOperator<Variable> parametrization() { return parametrization; }

    public Tensor value() { return variable.value(); }

    public void setValue(Tensor value) { variable.setValue(value); }

    public Tensor grad() { return variable.grad(); }

    public void zeroGrad() { variable.zeroGrad(); }

    public boolean requiresGrad() { return variable.requiresGrad(); }

    /** Freezing keeps the value; unfreezing a 16-bit parameter is refused (train on an f32 copy instead). */
    public void setRequiresGrad(boolean requiresGrad) {
        if (requiresGrad && (value().dtype() == DType.BF16 || value().dtype() == DType.F16)) {
            throw new IllegalStateException("parameter of dtype " + value().dtype()
                    + " cannot be trained directly: convert it to F32 master weights first");
        }
        variable.setRequiresGrad(requiresGrad);
    }

    /**
     * Moves the value (and the accumulated gradient, as torch's Module.to) to {@code device} in place: the same
     * Parameter and Variable, so optimizers, LoRA wrappers and tied modules holding it see the moved tensor;
     * requiresGrad is kept. A meta (weightless) parameter stays meta.
     */
    public void to(Device device) {
        Tensor v = value();
        if (v.isMeta() || v.device().equals(device)) return;
        variable.setValue(v.to(device));
        if (grad() != null) variable.setGrad(grad().to(device));
    }

    public Device device() { return value().device(); }

    public int[] shape() { return value().shape(); }

    public long numel() { return value().numel(); }
}
