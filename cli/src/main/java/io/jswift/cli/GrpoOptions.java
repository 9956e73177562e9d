package io.jswift.cli;

import io.jswift.train.grpo.GrpoRun;
import io.jswift.train.grpo.RewardArgs;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** ms-swift's GRPO flags of {@code jswift rlhf --rlhf_type grpo} (its GRPOArguments defaults). */
final class GrpoOptions {
    @Option(names = "--num_generations", defaultValue = "8", description = "grpo: completions sampled per prompt (default 8).") int numGenerations;
    @Option(names = "--max_completion_length", defaultValue = "512", description = "grpo: most tokens of a completion, its eos included (default 512).") int maxCompletionLength;
    @Option(names = "--temperature", defaultValue = "0.9", description = "grpo: sampling temperature; log-probs are taken at it too (default 0.9).") double temperature;
    @Option(names = "--top_k", defaultValue = "50", description = "grpo: top-k sampling, 0 = off (default 50).") int topK;
    @Option(names = "--top_p", defaultValue = "0.9", description = "grpo: nucleus sampling (default 0.9).") double topP;
    @Option(names = "--repetition_penalty", defaultValue = "1.0", description = "grpo: HF repetition penalty while sampling (default 1.0).") double repetitionPenalty;
    @Option(names = "--epsilon", defaultValue = "0.2", description = "grpo: lower clip range of the ratio (default 0.2).") double epsilon;
    @Option(names = "--epsilon_high", description = "grpo: upper clip range (DAPO's clip-higher; default: --epsilon).") Double epsilonHigh;
    @Option(names = "--num_iterations", defaultValue = "1", description = "grpo: optimizer steps on each generation batch (the GRPO paper's μ; > 1: ratios against the generation-time log-probs, as TRL).") int numIterations;
    @Option(names = "--dynamic_sample", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "grpo: DAPO's dynamic sampling: drop groups whose rewards all agree and refill the batch from fresh prompts (ms-swift).") boolean dynamicSample;
    @Option(names = "--max_resample_times", defaultValue = "3", description = "grpo: resamples --dynamic_sample may make per generation batch (default 3).") int maxResampleTimes;
    @Option(names = "--scale_rewards", defaultValue = "group", description = "grpo: advantages divided by the group's std (group), the batch's (batch) or not (none); true / false as group / none.") String scaleRewards;
    @Option(names = "--importance_sampling_level", defaultValue = "token", description = "grpo: token (GRPO) or sequence (GSPO).") String importanceSamplingLevel;
    @Option(names = "--log_completions", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "grpo: write every scored completion to completions.jsonl in the run directory.") boolean logCompletions;
    @Option(names = "--reward_funcs", split = ",", arity = "1..*", description = "grpo: accuracy, format, react_format, cosine, repetition, soft_overlong, or names from --external_plugins.") List<String> rewardFuncs;
    @Option(names = "--reward_model", arity = "1..*", description = "grpo: reward model directories (*ForSequenceClassification, e.g. rlhf --rlhf_type rm merged, "
            + "or a causal LM with --reward_adapters): each scores the prompt + completion rendered by its own chat template (TRL); scored after --reward_funcs.") List<Path> rewardModels;
    @Option(names = "--reward_adapters", arity = "1..*", description = "grpo: one PEFT SEQ_CLS adapter (rlhf --rlhf_type rm with LoRA) per --reward_model, applied to it.") List<Path> rewardAdapters;
    @Option(names = "--reward_weights", split = ",", arity = "1..*", description = "grpo: one weight per reward function, then per reward model (default 1.0 each).") List<Double> rewardWeights;
    @Option(names = "--external_plugins", split = ",", arity = "1..*", description = "grpo: jars providing io.jswift.train.grpo.RewardFunction services (META-INF/services).") List<Path> externalPlugins;
    @Option(names = "--cosine_min_len_value_wrong", defaultValue = "-0.5", description = "cosine: reward of a wrong answer at length 0 (default -0.5).") double cosineMinLenValueWrong;
    @Option(names = "--cosine_max_len_value_wrong", defaultValue = "0.0", description = "cosine: reward of a wrong answer at the maximum length (default 0.0).") double cosineMaxLenValueWrong;
    @Option(names = "--cosine_min_len_value_correct", defaultValue = "1.0", description = "cosine: reward of a correct answer at length 0 (default 1.0).") double cosineMinLenValueCorrect;
    @Option(names = "--cosine_max_len_value_correct", defaultValue = "0.5", description = "cosine: reward of a correct answer at the maximum length (default 0.5).") double cosineMaxLenValueCorrect;
    @Option(names = "--cosine_max_len", description = "cosine: the maximum length (default --max_completion_length).") Integer cosineMaxLen;
    @Option(names = "--repetition_n_grams", defaultValue = "3", description = "repetition: n-gram size (default 3).") int repetitionNGrams;
    @Option(names = "--repetition_max_penalty", defaultValue = "-1.0", description = "repetition: reward when every n-gram repeats (default -1.0).") double repetitionMaxPenalty;
    @Option(names = "--soft_max_length", description = "soft_overlong: length at which the reward reaches -1 (default --max_completion_length).") Integer softMaxLength;
    @Option(names = "--soft_cache_length", description = "soft_overlong: length of the linear penalty zone before --soft_max_length (required for soft_overlong).") Integer softCacheLength;

    @Option(names = "--ref_adapters", description = "grpo: the KL reference is the base model (or --ref_model) with this LoRA / DoRA adapter (default: the model with its adapter disabled).") Path refAdapters;

    /** @param refModel rlhf's --ref_model (null: none) */
    GrpoRun.Args toArgs(Double beta, String lossType, Path refModel) {
        RewardArgs rewards = new RewardArgs(rewardFuncs == null ? List.of() : rewardFuncs, rewardWeights, externalPlugins == null ? List.of() : externalPlugins,
                cosineMinLenValueWrong, cosineMaxLenValueWrong, cosineMinLenValueCorrect, cosineMaxLenValueCorrect, cosineMaxLen, repetitionNGrams,
                repetitionMaxPenalty, softMaxLength, softCacheLength, rewardModels == null ? List.of() : rewardModels,
                rewardAdapters == null ? List.of() : rewardAdapters);
        return new GrpoRun.Args(numGenerations, maxCompletionLength, temperature, topK, topP, repetitionPenalty, beta == null ? 0.04 : beta,
                lossType == null ? "grpo" : lossType, epsilon, epsilonHigh, numIterations, scaleRewards, importanceSamplingLevel, logCompletions, rewards, refModel, refAdapters,
                dynamicSample, maxResampleTimes);
    }
}
