package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Objects;

/**
 * What a fused backward does with one of its gradients: {@link #SKIP} it (a frozen weight: the experts of LoRA
 * training), return a {@link #NEW} tensor, or add it {@link #into} a tensor in place — a parameter's accumulated
 * {@code .grad}, so that gradient accumulation over micro-batches needs no temporary of the weight's size and no
 * separate add (PyTorch's AccumulateGrad adds into the existing {@code .grad} the same way).
 *
 * @param wanted whether the gradient is computed at all
 * @param into   the tensor the gradient is added into, or null for a new one
 */
public record GradTarget(boolean wanted, Tensor into) {
    public static final GradTarget SKIP = new GradTarget(false, null);
    public static final GradTarget NEW = new GradTarget(true, null);

    public GradTarget {
        if (into != null && !wanted) throw new IllegalArgumentException("a skipped gradient has no target tensor");
    }

    /** Added into {@code accumulated} (contiguous, shaped like the gradient, in the accumulator dtype). */
    public static GradTarget into(Tensor accumulated) {
        return new GradTarget(true, Objects.requireNonNull(accumulated, "accumulated"));
    }

    /** {@link #NEW} when {@code wanted}, else {@link #SKIP}. */
    public static GradTarget of(boolean wanted) { return wanted ? NEW : SKIP; }

    public boolean accumulates() { return into != null; }
}
