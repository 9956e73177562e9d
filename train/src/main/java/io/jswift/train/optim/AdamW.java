package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;

import java.util.List;

/** torch.optim.AdamW (Loshchilov & Hutter, decoupled weight decay); the update is the backend's fused kernel. */
public final class AdamW extends ParameterOptimizer {
    private final double beta1, beta2, eps;

    public AdamW(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps) {
        super(groups, lr, List.of("exp_avg", "exp_avg_sq"));
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
}
