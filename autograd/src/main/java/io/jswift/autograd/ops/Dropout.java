package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.RandomSpec;

/** Inverted dropout (zero with probability p, scale survivors by 1/(1-p)) with a seeded generator. */
public final class Dropout {
    private Dropout() {}

    /** Identity when p == 0; otherwise draws a fresh mask from {@code generator}. */
    public static Variable apply(Variable x, double p, Generator generator) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (p == 0) return x;
        return Autograd.apply(new Mask(p, generator), x);
    }

    record Mask(double p, Generator generator) implements Function {
        @Override
        public String name() { return "dropout"; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Backend b = in[0].backend();
            Tensor mask = b.allocate(in[0].dtype(), in[0].shape());
            b.fillRandom(mask, new RandomSpec.Bernoulli(1 - p), generator);
            mask = b.binaryScalar(BinaryOp.MUL, mask, 1 / (1 - p));
            ctx.save(mask);
            return b.binary(BinaryOp.MUL, in[0], mask);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[]{ctx.backend().binary(BinaryOp.MUL, g, ctx.saved(0))};
        }
    }
}
