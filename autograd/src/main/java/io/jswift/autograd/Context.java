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
    private boolean released, retainGraph;
    private Node.Edge[] edges; // set when the call is recorded
    private java.util.Set<Tensor> handedOff; // made on the first handOff: most calls never hand anything off

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

    /**
     * Saved tensor {@code i} returned as a gradient that nothing else references: the engine may then make it a
     * leaf's {@code .grad} and accumulate into it in place. When the graph is retained for another backward the
     * saved tensor must stay intact, so a copy is returned instead.
     */
    public Tensor handOff(int i) {
        Tensor t = saved(i);
        if (retainGraph) return t.copy();
        if (handedOff == null) handedOff = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        handedOff.add(t);
        return t;
    }

    /** Whether {@code t} was returned by {@link #handOff} in the current backward. */
    boolean handedOff(Tensor t) { return handedOff != null && handedOff.contains(t); }

    /**
     * The gradient that input {@code i} has accumulated so far, when that input is a leaf which owns it alone
     * (see {@link Variable#accumulate}); else null. A backward may add its contribution into it in place and
     * return null for the input, instead of a new tensor of the input's size: the embedding lookup of a tied
     * embedding adds its rows into the [V, H] gradient the LM head left, without a second [V, H] tensor.
     */
    public Tensor ownedLeafGrad(int i) {
        Node.Edge e = edges == null ? null : edges[i];
        return e == null || e.leaf() == null ? null : e.leaf().ownedGrad();
    }

    void attach(Node.Edge[] edges) { this.edges = edges; }

    /** Called by the engine before {@link Function#backward}. */
    void beginBackward(boolean retainGraph) { this.retainGraph = retainGraph; }

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
        handedOff = null;
        released = true;
    }
}
