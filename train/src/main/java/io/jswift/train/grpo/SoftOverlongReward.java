package io.jswift.train.grpo;

import java.util.List;

/**
 * ms-swift's {@code soft_overlong} (DAPO's overlong reward shaping): min(-(length - (max - cache)) / cache, 0), the
 * length counting every sampled id (the eos included), so 0 up to max - cache tokens and falling linearly to -1 at
 * max.
 *
 * @param softMaxLength   --soft_max_length (ms-swift: defaults to --max_completion_length)
 * @param softCacheLength --soft_cache_length (required; smaller than softMaxLength)
 */
public record SoftOverlongReward(int softMaxLength, int softCacheLength) implements RewardFunction {
    public SoftOverlongReward {
        if (softCacheLength <= 0 || softCacheLength >= softMaxLength) {
            throw new IllegalArgumentException("soft_overlong needs 0 < --soft_cache_length < --soft_max_length, got " + softCacheLength + " and " + softMaxLength);
        }
    }

    @Override
    public String name() { return "soft_overlong"; }

    @Override
    public double[] score(List<Sample> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) {
            int exceed = completions.get(i).completionIds().length - (softMaxLength - softCacheLength);
            out[i] = Math.min(-(double) exceed / softCacheLength, 0);
        }
        return out;
    }
}
