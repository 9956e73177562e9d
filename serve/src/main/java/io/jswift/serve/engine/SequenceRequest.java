package io.jswift.serve.engine;

import io.jswift.models.generate.SamplingParams;

/**
 * One sequence to generate: prompt ids, sampling (max new tokens included), top logprobs (< 0: none), whether eos
 * ids are ignored (vLLM's ignore_eos) and where events go.
 */
public record SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener) {
    public SequenceRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (params.maxNewTokens() < 1) throw new IllegalArgumentException("a sequence must be allowed at least one new token");
    }
}
