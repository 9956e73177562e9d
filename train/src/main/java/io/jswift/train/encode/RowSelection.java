package io.jswift.train.encode;

import java.util.Arrays;
import java.util.Random;

/**
 * Which rows of one dataset file are used, by index among its well-formed rows (file order kept).
 * {@code FILE#N} keeps N rows: seeded reservoir sampling, or the file repeated with random extra rows when
 * N exceeds it (ms-swift's sample_dataset; the same choices as {@link io.jswift.train.data.DatasetLoader} for
 * the same seed). {@code --split_dataset_ratio r} first sets aside max(floor(min(rows, N) * r), 1) seeded random
 * rows for validation, then takes the N - that many training rows from the rest (ms-swift's
 * DatasetLoader.post_process).
 */
public final class RowSelection {
    public record Split(int[] train, int[] validation) {}

    private RowSelection() {}

    public static Split split(int total, Integer sampleCount, double ratio, long seed, String what) {
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("--split_dataset_ratio must be in [0, 1), got " + ratio);
        Random rng = new Random(seed);
        if (ratio == 0) return new Split(sample(total, sampleCount, rng), new int[0]);
        int n = sampleCount == null ? total : sampleCount;
        int validation = Math.max((int) Math.floor(Math.min(total, n) * ratio), 1);
        if (n - validation <= 0 || total - validation <= 0) {
            throw new IllegalArgumentException("--split_dataset_ratio " + ratio + " leaves no training rows in " + what + " (" + total + " rows)");
        }
        int[] perm = new int[total];
        for (int i = 0; i < total; i++) perm[i] = i;
        for (int i = 0; i < validation; i++) { // partial Fisher-Yates: perm[0, validation) is a uniform random subset
            int j = i + rng.nextInt(total - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        int[] val = Arrays.copyOf(perm, validation);
        Arrays.sort(val);
        int[] rest = new int[total - validation];
        for (int i = 0, v = 0, r = 0; i < total; i++) {
            if (v < val.length && val[v] == i) v++;
            else rest[r++] = i;
        }
        int[] chosen = sample(rest.length, sampleCount == null ? null : n - validation, rng);
        int[] train = new int[chosen.length];
        for (int i = 0; i < chosen.length; i++) train[i] = rest[chosen[i]];
        return new Split(train, val);
    }

    /** FILE#N over {@code total} rows (null: all of them, in order). */
    static int[] sample(int total, Integer sampleCount, Random rng) {
        if (sampleCount == null) {
            int[] all = new int[total];
            for (int i = 0; i < total; i++) all[i] = i;
            return all;
        }
        int n = sampleCount;
        if (total < n) {
            if (total == 0) return new int[0];
            int[] out = new int[n];
            for (int i = 0; i < total; i++) out[i] = i;
            for (int k = total; k < n; k++) out[k] = out[rng.nextInt(total)];
            return out;
        }
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) slots[i] = i;
        for (int i = n; i < total; i++) { // reservoir sampling replayed: the draws DatasetLoader makes while streaming
            long j = (long) (rng.nextDouble() * (i + 1));
            if (j < n) slots[(int) j] = i;
        }
        Arrays.sort(slots);
        return slots;
    }
}
