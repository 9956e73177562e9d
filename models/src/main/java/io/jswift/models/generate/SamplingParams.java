package io.jswift.models.generate;

import java.util.List;

/**
 * HF generate() knobs. temperature 0 means greedy; topK 0 and topP 1 disable those filters;
 * repetitionPenalty 1 disables it (CTRL, Keskar et al. 2019: positive logits divided, negative multiplied).
 */
public record SamplingParams(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
                             long seed, List<String> stopStrings) {
    public SamplingParams {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(repetitionPenalty > 0)) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        stopStrings = List.copyOf(stopStrings);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 0, 1, 1, 0, List.of());
    }

    public boolean isGreedy() { return temperature == 0; }
}
