package io.jswift.tensor.spi;

/** A distribution to fill a tensor from: normal(mean, std), uniform[low, high), bernoulli(p) as 0/1. */
public sealed interface RandomSpec {
    record Normal(double mean, double std) implements RandomSpec {}

    record Uniform(double low, double high) implements RandomSpec {}

    record Bernoulli(double p) implements RandomSpec {}
}
