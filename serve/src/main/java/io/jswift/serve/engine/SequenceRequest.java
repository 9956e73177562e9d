package io.jswift.serve.engine;

import io.jswift.models.generate.SamplingParams;

/**
 * One sequence to generate: prompt ids, sampling (max new tokens included), top logprobs (< 0: none), whether eos
 * ids are ignored (vLLM's ignore_eos), where events go, and the LoRA adapter it runs with (a name the engine serves;
 * null: the base model).
 */
public record SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener, String adapter) {
    public SequenceRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (params.maxNewTokens() < 1) throw new IllegalArgumentException("a sequence must be allowed at least one new token");
    }

    /** A sequence of the base model. */
    public SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener) {
        this(prompt, params, topLogprobs, ignoreEos, listener, null);
    }
}
