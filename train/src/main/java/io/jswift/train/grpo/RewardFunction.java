package io.jswift.train.grpo;

import java.util.List;
import java.util.Map;

/**
 * A reward for GRPO: one score per completion (ms-swift's ORM plugins; TRL's reward_funcs). Built-in ones are chosen
 * by name with --reward_funcs; others come from --external_plugins jars that list their implementations in
 * META-INF/services/io.jswift.train.grpo.RewardFunction (ServiceLoader), ms-swift's Python plugins' JVM equivalent.
 * Implementations need a public no-argument constructor.
 */
public interface RewardFunction {
    /** The name --reward_funcs selects it by; also its column in completions.jsonl and rewards/NAME in the logs. */
    String name();

    /**
     * Scores a generation batch (the num_generations completions of each prompt adjacent). Double.NaN means "no
     * reward for this completion" (TRL's None): it is left out of the weighted sum.
     */
    double[] score(List<Sample> completions);

    /**
     * One completion with what a reward may look at.
     *
     * @param messages      the prompt's messages (role, content), as in the dataset row
     * @param completion    the completion decoded with special tokens skipped
     * @param completionIds the ids as sampled, the eos included when one ended it (ms-swift's response_token_ids)
     * @param columns       every other column of the dataset row (e.g. "solution"), as parsed from JSON
     */
    record Sample(List<Map<String, Object>> messages, String completion, int[] completionIds, Map<String, Object> columns) {
        public Sample {
            messages = List.copyOf(messages);
            completionIds = completionIds.clone();
            columns = Map.copyOf(columns);
        }

        /** A column as text (ms-swift's solution is a string); an error naming the column when the row lacks it. */
        public String text(String column, String reward) {
            Object v = columns.get(column);
            if (v == null) throw new IllegalArgumentException("the reward " + reward + " needs a '" + column + "' column in every dataset row");
            return v.toString();
        }
    }
}
