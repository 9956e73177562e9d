package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;

import java.util.List;

/**
 * torch.optim.SGD: d = g + wd·p; with momentum μ, buf = d on the first step then buf = μ·buf + d;
 * p -= lr · buf (no dampening, no Nesterov).
 */
public final class Sgd extends ParameterOptimizer {
    private final double momentum;

    public Sgd(List<ParamGroup> groups, double lr, double momentum) {
        super(groups, lr, List.of("momentum_buffer"));
        this.momentum = momentum;
    }

    @Override
    public void step() {
        steps++;
        for (ParamGroup g : groups) {
            for (var e : g.parameters().entrySet()) {
                Parameter p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null) continue;
                Backend b = p.value().backend();
                Tensor d = g.weightDecay() == 0 ? grad
                        : b.binary(BinaryOp.ADD, grad, b.binaryScalar(BinaryOp.MUL, p.value(), g.weightDecay()));
                if (momentum != 0) {
                    Tensor previous = state.peek(e.getKey(), "momentum_buffer");
                    Tensor buf = state.get(e.getKey(), "momentum_buffer", p);
                    Tensor next = previous == null ? d : b.binary(BinaryOp.ADD, b.binaryScalar(BinaryOp.MUL, buf, momentum), d);
                    b.copy(next, buf);
                    d = buf;
                }
                b.copy(b.binary(BinaryOp.SUB, p.value(), b.binaryScalar(BinaryOp.MUL, d, lr)), p.value());
            }
        }
    }
}
