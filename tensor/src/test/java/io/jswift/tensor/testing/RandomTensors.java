package io.jswift.tensor.testing;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;

import java.util.Random;

/** Seeded random host tensors for tests of every backend. */
public final class RandomTensors {
    private RandomTensors() {}

    /** Gaussian values (integers: uniform in [-50, 50]; BOOL/U8: small non-negative), rounded to the dtype. */
    public static Tensor random(long seed, DType dtype, int... shape) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(dtype, shape);
        for (long i = 0; i < t.numel(); i++) {
            switch (dtype) {
                case BOOL -> HostAccess.write(t.hostSegment(), dtype, i, r.nextBoolean() ? 1 : 0);
                case U8 -> HostAccess.write(t.hostSegment(), dtype, i, r.nextInt(200));
                case I32, I64 -> HostAccess.writeLong(t.hostSegment(), dtype, i, r.nextInt(101) - 50);
                default -> HostAccess.write(t.hostSegment(), dtype, i, r.nextGaussian());
            }
        }
        return t;
    }

    public static Tensor random(long seed, int... shape) {
        return random(seed, DType.F32, shape);
    }

    /** Values in [lo, hi). */
    public static Tensor uniform(long seed, double lo, double hi, DType dtype, int... shape) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(dtype, shape);
        for (long i = 0; i < t.numel(); i++) HostAccess.write(t.hostSegment(), dtype, i, lo + (hi - lo) * r.nextDouble());
        return t;
    }
}
