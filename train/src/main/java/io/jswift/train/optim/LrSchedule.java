package io.jswift.train.optim;

import java.util.Locale;

/**
 * transformers' get_scheduler: the learning rate for optimizer step {@code s} (0-based) is base × factor(s).
 * Warmup rises linearly from 0 over {@code warmupSteps}; then "linear" decays to 0 at {@code totalSteps},
 * "cosine" follows half a cosine to 0, "constant_with_warmup" stays at 1; "constant" ignores warmup.
 */
public record LrSchedule(Type type, double baseLr, int warmupSteps, int totalSteps) {
    public enum Type { CONSTANT, CONSTANT_WITH_WARMUP, LINEAR, COSINE }

    public LrSchedule {
        if (warmupSteps < 0 || totalSteps < 0) throw new IllegalArgumentException("warmup and total steps must be >= 0");
    }

    /** Parses the HF names: constant, constant_with_warmup, linear, cosine. */
    public static Type parse(String name) {
        try {
            return Type.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --lr_scheduler_type '" + name + "' (supported: constant, constant_with_warmup, linear, cosine)");
        }
    }

    /** HF: warmup steps = ceil(ratio × total) when --warmup_steps is not given. */
    public static int warmupFromRatio(double ratio, int totalSteps) {
        if (ratio < 0 || ratio > 1) throw new IllegalArgumentException("--warmup_ratio must be in [0, 1], got " + ratio);
        return (int) Math.ceil(ratio * totalSteps);
    }

    public double learningRate(long step) {
        return baseLr * factor(step);
    }

    private double factor(long step) {
        if (type == Type.CONSTANT) return 1;
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        return switch (type) {
            case CONSTANT_WITH_WARMUP -> 1;
            case LINEAR -> Math.max(0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
            }
            default -> throw new IllegalStateException();
        };
    }
}
