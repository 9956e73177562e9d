package io.jswift.nn;

import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.RandomSpec;

/** Parameter initializers with an explicit seeded generator (host tensors; move them with to(device)). */
public final class Init {
    private Init() {}

    private static Backend cpu() { return Backends.forDevice(Device.CPU); }

    /** With a null generator every initializer returns a meta tensor (weights to be loaded later). */
    public static Tensor uniform(Generator gen, double low, double high, int... shape) {
        if (gen == null) return Tensor.meta(DType.F32, shape);
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu().fillRandom(t, new RandomSpec.Uniform(low, high), gen);
        return t;
    }

    public static Tensor normal(Generator gen, double mean, double std, int... shape) {
        if (gen == null) return Tensor.meta(DType.F32, shape);
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu().fillRandom(t, new RandomSpec.Normal(mean, std), gen);
        return t;
    }

    public static Tensor constant(double value, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu().fill(t, value);
        return t;
    }

    /**
     * torch.nn.Linear's default: kaiming_uniform_(a=√5) gives U(-1/√fanIn, 1/√fanIn); PEFT uses the same
     * for lora_A.
     */
    public static Tensor kaimingUniform(Generator gen, int fanIn, int... shape) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(gen, -bound, bound, shape);
    }
}
