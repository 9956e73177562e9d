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
    private boolean gradOwned; // grad is referenced by nothing but this variable: later gradients add into it in place
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

    public void setGrad(Tensor grad) {
        this.grad = grad;
        this.gradOwned = false;
    }

    public void zeroGrad() {
        this.grad = null;
        this.gradOwned = false;
    }

    /** The gradient when this variable owns it alone and it is contiguous (may be added into in place), else null. */
    Tensor ownedGrad() { return gradOwned && grad.isContiguous() ? grad : null; }

    /**
     * grad *= factor: in place when the gradient is this variable's own, else replaced by a scaled copy (a
     * gradient shared with another leaf must not be scaled twice). Gradient clipping uses it.
     */
    public void scaleGrad(double factor) {
        if (grad == null) return;
        if (ownedGrad() != null) {
            grad.backend().binaryInto(BinaryOp.MUL, grad, Tensor.scalar(grad.dtype(), factor).to(grad.device()), grad);
        } else {
            grad = grad.backend().binaryScalar(BinaryOp.MUL, grad, factor);
            gradOwned = true;
        }
    }

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

    /**
     * grad += g. The first gradient becomes {@code .grad} as is; {@code exclusive} says that nothing else
     * references it, so later ones are added in place (as PyTorch's AccumulateGrad does with a gradient it could
     * steal), sparing a third tensor of the parameter's size (a tied embedding receives two [V, H] gradients).
     * A shared first gradient is replaced by a new sum, which is then owned. Returns whether a new tensor was made.
     */
    boolean accumulate(Tensor g, boolean exclusive) {
        if (grad == null) {
            grad = g;
            gradOwned = exclusive;
            return false;
        }
        if (ownedGrad() != null && grad.dtype() == DType.promote(grad.dtype(), g.dtype())) {
            grad.backend().binaryInto(BinaryOp.ADD, grad, g, grad);
            return false;
        }
        grad = grad.backend().binary(BinaryOp.ADD, grad, g);
        gradOwned = true;
        return true;
    }

    @Override
    public String toString() {
        return "Variable(" + value + (requiresGrad ? ", requiresGrad" : "") + (gradFn != null ? ", fn=" + gradFn.function.getClass().getSimpleName() : "") + ")";
    }
}
