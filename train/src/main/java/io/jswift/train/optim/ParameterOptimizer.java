package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * The stateful shell every optimizer shares: parameter groups, per-parameter state buffers, the learning
 * rate and the step count. Subclasses add only their update rule ({@link #step()}).
 */
abstract class ParameterOptimizer implements Optimizer {
    protected final List<ParamGroup> groups;
    protected final OptimizerState state = new OptimizerState();
    private final List<String> bufferNames;
    protected double lr;
    protected long steps;

    ParameterOptimizer(List<ParamGroup> groups, double lr, List<String> bufferNames) {
        this.groups = List.copyOf(groups);
        this.lr = lr;
        this.bufferNames = List.copyOf(bufferNames);
    }

    @Override
    public void zeroGrad() {
        for (ParamGroup g : groups) for (Parameter p : g.parameters().values()) p.zeroGrad();
    }

    @Override
    public double learningRate() { return lr; }

    @Override
    public void setLearningRate(double lr) { this.lr = lr; }

    @Override
    public long stepCount() { return steps; }

    @Override
    public Map<String, Tensor> stateDict() { return state.snapshot(); }

    @Override
    public void loadStateDict(Map<String, Tensor> saved, long stepCount) {
        state.load(saved, groups, bufferNames);
        this.steps = stepCount;
    }
}
