package io.jswift.autograd;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;

/**
 * Per-call state of a {@link Function}: the tensors saved for backward, which inputs need gradients,
 * and the input shapes (for reducing broadcast gradients). Saved tensors are dropped after backward.
 */
public final class Context {
    private final boolean[] needsInputGrad;
    private final int[][] inputShapes;
    private final Backend backend;
    private Tensor[] saved = new Tensor[0];
    private boolean released;

    Context(Tensor[] inputs, boolean[] needsInputGrad) {
        this.needsInputGrad = needsInputGrad;
        this.inputShapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) inputShapes[i] = inputs[i] == null ? null : inputs[i].shape();
        this.backend = inputs.length > 0 && inputs[0] != null ? inputs[0].backend() : null;
    }

    /** Saves tensors for {@link Function#backward}; only call from forward. */
    public void save(Tensor... tensors) {
        this.saved = tensors.clone();
    }

    public Tensor saved(int i) {
        if (released) {
            throw new IllegalStateException("saved tensors were released after backward; "
                    + "call backward(..., retainGraph = true) to backpropagate through a graph twice");
        }
        return saved[i];
    }

    public boolean needsInputGrad(int i) { return needsInputGrad[i]; }

    public int inputCount() { return needsInputGrad.length; }

    public int[] inputShape(int i) {
        if (inputShapes[i] == null) throw new IllegalStateException("input " + i + " was not given (null)");
        return inputShapes[i].clone();
    }

    /** Whether optional input {@code i} was given (non-null). */
    public boolean hasInput(int i) { return inputShapes[i] != null; }

    /** The backend of the first input (every input of one call lives on one device). */
    public Backend backend() { return backend; }

    void release() {
        saved = new Tensor[0];
        released = true;
    }
}
