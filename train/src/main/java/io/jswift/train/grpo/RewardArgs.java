package io.jswift.train.grpo;

import java.nio.file.Path;
import java.util.List;

/**
 * ms-swift's reward flags for GRPO.
 *
 * @param rewardFuncs      --reward_funcs: built-in names or the names of plugin rewards
 * @param rewardWeights    --reward_weights: one per reward function, or null for all 1.0 (TRL)
 * @param externalPlugins  --external_plugins: jars whose RewardFunction services join the built-ins
 * @param cosineMaxLen     null: --max_completion_length (ms-swift)
 * @param softMaxLength    null: --max_completion_length (ms-swift)
 * @param softCacheLength  required by soft_overlong
 */
public record RewardArgs(List<String> rewardFuncs, List<Double> rewardWeights, List<Path> externalPlugins,
                         double cosineMinLenValueWrong, double cosineMaxLenValueWrong, double cosineMinLenValueCorrect,
                         double cosineMaxLenValueCorrect, Integer cosineMaxLen, int repetitionNGrams, double repetitionMaxPenalty,
                         Integer softMaxLength, Integer softCacheLength) {
    public RewardArgs {
        rewardFuncs = List.copyOf(rewardFuncs);
        rewardWeights = rewardWeights == null ? null : List.copyOf(rewardWeights);
        externalPlugins = List.copyOf(externalPlugins);
        if (rewardWeights != null && rewardWeights.size() != rewardFuncs.size()) {
            throw new IllegalArgumentException("--reward_weights has " + rewardWeights.size() + " values for " + rewardFuncs.size() + " --reward_funcs");
        }
    }

    /** ms-swift's defaults for everything but the names. */
    public static RewardArgs of(List<String> rewardFuncs) {
        return new RewardArgs(rewardFuncs, null, List.of(), -0.5, 0.0, 1.0, 0.5, null, 3, -1.0, null, null);
    }
}
