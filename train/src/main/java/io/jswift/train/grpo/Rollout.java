package io.jswift.train.grpo;

/**
 * One sampled completion of a GRPO group.
 *
 * @param prompt        index of its prompt in the step's prompt list (completions of one prompt form a group)
 * @param promptIds     the prompt's token ids
 * @param completionIds the ids exactly as sampled, the eos included when one ended the completion (TRL's completion_ids)
 * @param endedByEos    false when the completion ran into --max_completion_length
 */
public record Rollout(int prompt, int[] promptIds, int[] completionIds, boolean endedByEos) {
    public Rollout {
        promptIds = promptIds.clone();
        completionIds = completionIds.clone();
    }
}
