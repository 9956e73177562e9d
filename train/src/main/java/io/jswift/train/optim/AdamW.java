package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;

import java.util.List;
import java.util.Map;

/** torch.optim.AdamW (Loshchilov & Hutter, decoupled weight decay); the update is the backend's fused kernel. */
public final class AdamW implements Optimizer {
    private static final List<String> BUFFERS = List.of("exp_avg", "exp_avg_sq");
    private final List<ParamGroup> groups;
    private final double beta1, beta2, eps;
    private final OptimizerState state = new OptimizerState();
    private double lr;
    private long steps;

    public AdamW(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps) {
        this.groups = List.copyOf(groups);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    public void step() {
        steps++;
        for (ParamGroup g : groups) {
            AdamWConfig config = new AdamWConfig(lr, beta1, beta2, eps, g.weightDecay());
            for (var e : g.parameters().entrySet()) {
                Parameter p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null) continue;
                Tensor m = state.get(e.getKey(), "exp_avg", p), v = state.get(e.getKey(), "exp_avg_sq", p);
                p.value().backend().adamwStep(p.value(), grad, m, v, config, steps);
            }
        }
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
        state.load(saved, groups, BUFFERS);
        this.steps = stepCount;
    }
}
