package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.tensor.Generator;

/** Inverted dropout in training mode, identity in eval mode; draws from the given seeded generator. */
public final class Dropout extends Module implements DrawsRandom {
    private final double p;
    private final Generator generator;

    public Dropout(double p, Generator generator) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.generator = generator;
    }

    public Variable forward(Variable x) {
        return isTraining() ? io.jswift.autograd.ops.Dropout.apply(x, p, generator) : x;
    }

    public double p() { return p; }

    @Override
    public Generator generator() { return p > 0 ? generator : null; }
}
