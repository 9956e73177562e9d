package io.jswift.train.grpo;

import java.util.Locale;

/**
 * GRPO's advantages from the weighted reward sums of a generation batch (TRL 1.13 _generate_and_score_completions,
 * sum_then_normalize): reward minus its group's mean (the {@code numGenerations} completions of one prompt, which
 * are adjacent), divided by std + 1e-4 where the std is the group's ({@code group}) or the whole batch's
 * ({@code batch}); {@code none} only centres (Dr. GRPO). The std is Bessel-corrected (trl's nanstd).
 */
public final class Advantages {
    private Advantages() {}

    public enum Scale {
        GROUP, BATCH, NONE;

        /** ms-swift / TRL values; true and false are the older boolean spelling (true = group). */
        public static Scale parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "group", "true" -> GROUP;
                case "batch" -> BATCH;
                case "none", "false" -> NONE;
                default -> throw new IllegalArgumentException("--scale_rewards must be group, batch or none (true / false), got " + s);
            };
        }
    }

    public static double[] of(double[] rewards, int numGenerations, Scale scale) {
        int n = rewards.length;
        if (numGenerations < 1 || n % numGenerations != 0) {
            throw new IllegalArgumentException(n + " rewards do not form groups of " + numGenerations);
        }
        double[] out = new double[n];
        double batchStd = scale == Scale.BATCH ? std(rewards, 0, n) : 0;
        for (int start = 0; start < n; start += numGenerations) {
            double mean = 0;
            for (int i = start; i < start + numGenerations; i++) mean += rewards[i] / numGenerations;
            double std = scale == Scale.GROUP ? std(rewards, start, start + numGenerations) : batchStd;
            for (int i = start; i < start + numGenerations; i++) {
                out[i] = scale == Scale.NONE ? rewards[i] - mean : (rewards[i] - mean) / (std + 1e-4);
            }
        }
        return out;
    }

    /** Sample standard deviation of values[from, to) (n - 1 in the denominator); 0 for a single value is TRL's n > 1 guard. */
    static double std(double[] values, int from, int to) {
        int n = to - from;
        if (n < 2) return 0;
        double mean = 0;
        for (int i = from; i < to; i++) mean += values[i] / n;
        double var = 0;
        for (int i = from; i < to; i++) var += (values[i] - mean) * (values[i] - mean);
        return Math.sqrt(var / (n - 1));
    }
}
