package io.jswift.autograd;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;

/**
 * A tensor in the autograd graph: its value, whether gradients flow to it, the {@link Node} that made it
 * (null for leaves) and, for leaves that require grad, the accumulated gradient. Gradients accumulate
 * ({@code +=}) across backward calls until {@link #zeroGrad()}, so gradient accumulation is free.
 */
public final class Variable {
    private Tensor value;
    private Tensor grad;
    private boolean requiresGrad;
    private final Node gradFn;

    Variable(Tensor value, boolean requiresGrad, Node gradFn) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.gradFn = gradFn;
    }

    /** A graph input; with {@code requiresGrad} its gradient accumulates in {@link #grad()}. */
    public static Variable leaf(Tensor value, boolean requiresGrad) {
        if (requiresGrad && !value.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("only floating-point tensors can require gradients, got " + value.dtype());
        }
        return new Variable(value, requiresGrad, null);
    }

    /** A value that never receives gradients (inputs, masks, indices). */
    public static Variable constant(Tensor value) {
        return new Variable(value, false, null);
    }

    public Tensor value() { return value; }

    /** Replaces a leaf's value (loading weights, moving to a device); not allowed on graph outputs. */
    public void setValue(Tensor newValue) {
        if (gradFn != null) throw new IllegalStateException("cannot replace the value of a non-leaf variable");
        this.value = newValue;
    }

    /** Accumulated gradient of a leaf, or null when none has been computed. */
    public Tensor grad() { return grad; }

    public void setGrad(Tensor grad) { this.grad = grad; }

    public void zeroGrad() { this.grad = null; }

    public boolean requiresGrad() { return requiresGrad; }

    /** Freezes or unfreezes a leaf. */
    public void setRequiresGrad(boolean requiresGrad) {
        if (gradFn != null) throw new IllegalStateException("requiresGrad can only be changed on leaf variables");
        if (requiresGrad && !value.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("only floating-point tensors can require gradients, got " + value.dtype());
        }
        this.requiresGrad = requiresGrad;
    }

    public boolean isLeaf() { return gradFn == null; }

    Node gradFn() { return gradFn; }

    /** The same value cut from the graph. */
    public Variable detach() { return constant(value); }

    public int[] shape() { return value.shape(); }

    public int size(int dim) { return value.size(dim); }

    public int rank() { return value.rank(); }

    public DType dtype() { return value.dtype(); }

    /** Backpropagates from this one-element variable (typically a loss) with gradient 1. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalStateException("backward() without a gradient needs a one-element output, got shape "
                    + java.util.Arrays.toString(value.shape()));
        }
        Tensor one = value.backend().allocate(value.dtype(), value.shape());
        value.backend().fill(one, 1.0);
        backward(one, false);
    }

    /** Backpropagates {@code gradient} (shaped like this value); {@code retainGraph} keeps saved tensors. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph);
    }

    void accumulate(Tensor g) {
        grad = grad == null ? g : grad.backend().binary(BinaryOp.ADD, grad, g);
    }

    @Override
    public String toString() {
        return "Variable(" + value + (requiresGrad ? ", requiresGrad" : "") + (gradFn != null ? ", fn=" + gradFn.function.getClass().getSimpleName() : "") + ")";
    }
}
