package io.jswift.train.grpo;

import java.util.List;

/**
 * ms-swift's {@code cosine} (Yeo et al. 2025, arXiv 2502.03373): the accuracy reward decides correct (>= 1) or
 * wrong, then the reward follows a cosine in the completion's length L (every sampled id, the eos included) from the
 * value at length 0 to the value at maxLen: max - (max - min)(1 - cos(L π / maxLen)) / 2, with (min, max) =
 * (maxLenValueCorrect, minLenValueCorrect) when correct and (maxLenValueWrong, minLenValueWrong) when wrong.
 * ms-swift's defaults: -0.5, 0.0, 1.0, 0.5 and maxLen = --max_completion_length.
 */
public record CosineReward(double minLenValueWrong, double maxLenValueWrong, double minLenValueCorrect, double maxLenValueCorrect, int maxLen,
                           RewardFunction accuracy) implements RewardFunction {
    public CosineReward {
        if (maxLen < 1) throw new IllegalArgumentException("--cosine_max_len must be >= 1, got " + maxLen);
    }

    @Override
    public String name() { return "cosine"; }

    @Override
    public double[] score(List<Sample> completions) {
        double[] acc = accuracy.score(completions), out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) {
            boolean correct = acc[i] >= 1;
            double min = correct ? maxLenValueCorrect : maxLenValueWrong, max = correct ? minLenValueCorrect : minLenValueWrong;
            out[i] = cosine(completions.get(i).completionIds().length, maxLen, min, max);
        }
        return out;
    }

    static double cosine(int t, int total, double min, double max) {
        return max - (max - min) * (1 - Math.cos(t * Math.PI / total)) / 2;
    }
}
