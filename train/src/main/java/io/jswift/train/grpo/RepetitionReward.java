package io.jswift.train.grpo;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ms-swift's {@code repetition} (Yeo et al. 2025, arXiv 2502.03373): over the lower-cased whitespace-split words,
 * (1 - distinct n-grams / n-grams) × max_penalty; 0 for an empty completion or fewer than n words.
 *
 * @param nGrams     --repetition_n_grams (ms-swift default 3)
 * @param maxPenalty --repetition_max_penalty (ms-swift default -1.0)
 */
public record RepetitionReward(int nGrams, double maxPenalty) implements RewardFunction {
    public RepetitionReward {
        if (nGrams < 1) throw new IllegalArgumentException("--repetition_n_grams must be >= 1, got " + nGrams);
    }

    @Override
    public String name() { return "repetition"; }

    @Override
    public double[] score(List<Sample> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) out[i] = score(completions.get(i).completion());
        return out;
    }

    double score(String text) {
        String[] words = words(text.toLowerCase(Locale.ROOT));
        if (words.length < nGrams) return 0;
        Set<List<String>> distinct = new HashSet<>();
        int total = 0;
        for (int i = 0; i + nGrams <= words.length; i++, total++) distinct.add(new ArrayList<>(List.of(words).subList(i, i + nGrams)));
        return (1 - (double) distinct.size() / total) * maxPenalty;
    }

    /** Python's str.split(): runs of whitespace separate, none at either end. */
    static String[] words(String text) {
        String t = text.strip();
        return t.isEmpty() ? new String[0] : t.split("(?U)\\s+");
    }
}
