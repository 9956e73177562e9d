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
 * @param rewardModels     --reward_model: sequence-classifier directories (or causal LMs given a SEQ_CLS adapter) scoring after
 *                         the functions (ms-swift's order)
 * @param rewardAdapters   --reward_adapters: none, or one PEFT SEQ_CLS adapter per reward model, applied to it (ms-swift)
 */
public record RewardArgs(List<String> rewardFuncs, List<Double> rewardWeights, List<Path> externalPlugins,
                         double cosineMinLenValueWrong, double cosineMaxLenValueWrong, double cosineMinLenValueCorrect,
                         double cosineMaxLenValueCorrect, Integer cosineMaxLen, int repetitionNGrams, double repetitionMaxPenalty,
                         Integer softMaxLength, Integer softCacheLength, List<Path> rewardModels, List<Path> rewardAdapters) {
    public RewardArgs {
        rewardFuncs = List.copyOf(rewardFuncs);
        rewardWeights = rewardWeights == null ? null : List.copyOf(rewardWeights);
        externalPlugins = List.copyOf(externalPlugins);
        rewardModels = List.copyOf(rewardModels);
        rewardAdapters = List.copyOf(rewardAdapters);
        if (!rewardAdapters.isEmpty() && rewardAdapters.size() != rewardModels.size()) {
            throw new IllegalArgumentException("--reward_adapters has " + rewardAdapters.size() + " directories for " + rewardModels.size()
                    + " --reward_model: give one adapter per reward model, in the same order");
        }
        int rewards = rewardFuncs.size() + rewardModels.size();
        if (rewardWeights != null && rewardWeights.size() != rewards) {
            throw new IllegalArgumentException("--reward_weights has " + rewardWeights.size() + " values for " + rewardFuncs.size() + " --reward_funcs"
                    + (rewardModels.isEmpty() ? "" : " and " + rewardModels.size() + " --reward_model"));
        }
    }

    /** Without reward models. */
    public RewardArgs(List<String> rewardFuncs, List<Double> rewardWeights, List<Path> externalPlugins,
                      double cosineMinLenValueWrong, double cosineMaxLenValueWrong, double cosineMinLenValueCorrect,
                      double cosineMaxLenValueCorrect, Integer cosineMaxLen, int repetitionNGrams, double repetitionMaxPenalty,
                      Integer softMaxLength, Integer softCacheLength) {
        this(rewardFuncs, rewardWeights, externalPlugins, cosineMinLenValueWrong, cosineMaxLenValueWrong, cosineMinLenValueCorrect, cosineMaxLenValueCorrect,
                cosineMaxLen, repetitionNGrams, repetitionMaxPenalty, softMaxLength, softCacheLength, List.of(), List.of());
    }

    /** The adapter --reward_adapters gives the i-th reward model, or null. */
    public Path rewardAdapter(int i) {
        return rewardAdapters.isEmpty() ? null : rewardAdapters.get(i);
    }

    /** ms-swift's defaults for everything but the names. */
    public static RewardArgs of(List<String> rewardFuncs) {
        return new RewardArgs(rewardFuncs, null, List.of(), -0.5, 0.0, 1.0, 0.5, null, 3, -1.0, null, null);
    }
}
