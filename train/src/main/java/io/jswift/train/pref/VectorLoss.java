package io.jswift.train.pref;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;

/**
 * A scalar loss of a short vector (the 2B per-sequence log-probabilities of a preference batch) whose value and
 * gradient are computed together in float64 on the host by {@link Rule}: the preference losses are a handful of
 * numbers per batch, so one forward-with-gradient per rule keeps each formula and its derivative side by side.
 * The forward keeps the gradient; the backward scales it by the incoming one.
 */
public record VectorLoss(Rule rule) implements Function {
    /** The loss at x and dLoss/dx. */
    public interface Rule {
        Value apply(double[] x);
    }

    public record Value(double loss, double[] grad) {}

    public static Variable apply(Rule rule, Variable x) {
        if (x.rank() != 1) throw new IllegalArgumentException("a vector loss takes a vector, got rank " + x.rank());
        return Autograd.apply(new VectorLoss(rule), x);
    }

    @Override
    public Tensor forward(Context ctx, Tensor... in) {
        double[] x = in[0].toDoubleArray();
        Value v = rule.apply(x);
        if (v.grad().length != x.length) throw new IllegalStateException("gradient of " + v.grad().length + " values for " + x.length);
        ctx.save(Tensor.of(v.grad(), x.length).to(in[0].dtype()).to(in[0].device()));
        return Tensor.scalar(in[0].dtype(), v.loss()).to(in[0].device());
    }

    @Override
    public Tensor[] backward(Context ctx, Tensor g) {
        Tensor grad = ctx.saved(0);
        return new Tensor[]{ctx.backend().binaryScalar(BinaryOp.MUL, grad, g.item())};
    }
}
