package io.jswift.models.generate;

import java.util.List;

/**
 * HF generate() knobs plus OpenAI's penalties. temperature 0 means greedy; topK 0 and topP 1 disable those filters;
 * repetitionPenalty 1 disables it (CTRL, Keskar et al. 2019: positive logits divided, negative multiplied, over the
 * prompt and the output as HF); presencePenalty and frequencyPenalty 0 disable them (OpenAI: subtracted from the
 * logit of every token already generated, once and per occurrence, over the output only as vLLM does).
 */
public record SamplingParams(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
                             long seed, List<String> stopStrings, double presencePenalty, double frequencyPenalty) {
    public SamplingParams {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(repetitionPenalty > 0)) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
        stopStrings = List.copyOf(stopStrings);
    }

    /** Without the OpenAI penalties. */
    public SamplingParams(int maxNewTokens, double temperature, int topK, double topP, double repetitionPenalty,
                          long seed, List<String> stopStrings) {
        this(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stopStrings, 0, 0);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 0, 1, 1, 0, List.of());
    }

    public boolean isGreedy() { return temperature == 0; }

    public SamplingParams withMaxNewTokens(int v) { return new SamplingParams(v, temperature, topK, topP, repetitionPenalty, seed, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withTemperature(double v) { return new SamplingParams(maxNewTokens, v, topK, topP, repetitionPenalty, seed, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withTopK(int v) { return new SamplingParams(maxNewTokens, temperature, v, topP, repetitionPenalty, seed, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withTopP(double v) { return new SamplingParams(maxNewTokens, temperature, topK, v, repetitionPenalty, seed, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withRepetitionPenalty(double v) { return new SamplingParams(maxNewTokens, temperature, topK, topP, v, seed, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withSeed(long v) { return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, v, stopStrings, presencePenalty, frequencyPenalty); }
    public SamplingParams withStopStrings(List<String> v) { return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, v, presencePenalty, frequencyPenalty); }
    public SamplingParams withPresencePenalty(double v) { return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stopStrings, v, frequencyPenalty); }
    public SamplingParams withFrequencyPenalty(double v) { return new SamplingParams(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stopStrings, presencePenalty, v); }
}
