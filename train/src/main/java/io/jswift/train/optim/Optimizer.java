package io.jswift.train.optim;

import io.jswift.tensor.Tensor;

import java.util.Map;

/** A stateful shell around a pure update kernel: holds per-parameter state and the current learning rate. */
public interface Optimizer {
    /** Applies one update from the parameters' accumulated gradients (parameters without a gradient are skipped). */
    void step();

    /** Clears every parameter's gradient. */
    void zeroGrad();

    double learningRate();

    void setLearningRate(double lr);

    /** Updates performed so far. */
    long stepCount();

    /** Optimizer state as named tensors (e.g. {@code model.layers.0.mlp.up_proj.weight.exp_avg}) for checkpoints. */
    Map<String, Tensor> stateDict();

    /** Restores {@link #stateDict()} output; names and shapes must match exactly. */
    void loadStateDict(Map<String, Tensor> state, long stepCount);
}
