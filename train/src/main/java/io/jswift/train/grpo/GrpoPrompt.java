package io.jswift.train.grpo;

import java.util.List;
import java.util.Map;

/**
 * One dataset row of a GRPO run: its prompt messages, their ids rendered by the chat template with the generation
 * prompt, and every other column (e.g. solution) for the rewards.
 */
public record GrpoPrompt(List<Map<String, Object>> messages, int[] promptIds, Map<String, Object> columns) {
    public GrpoPrompt {
        messages = List.copyOf(messages);
        promptIds = promptIds.clone();
        columns = Map.copyOf(columns);
        if (promptIds.length == 0) throw new IllegalArgumentException("empty prompt");
    }
}
