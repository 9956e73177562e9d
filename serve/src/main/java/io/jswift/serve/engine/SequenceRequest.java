package io.jswift.serve.engine;

import io.jswift.models.generate.SamplingParams;
import io.jswift.models.vision.VisionInput;

/**
 * One sequence to generate: prompt ids, sampling (max new tokens included), top logprobs (< 0: none), whether eos
 * ids are ignored (vLLM's ignore_eos), where events go, and the LoRA adapter it runs with (a name the engine serves;
 * null: the base model), and the prompt's images (a vision-language model's pixel values and grids; null: none).
 */
public record SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener, String adapter,
                              VisionInput images) {
    /** A sequence without images. */
    public SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener, String adapter) {
        this(prompt, params, topLogprobs, ignoreEos, listener, adapter, null);
    }

    public SequenceRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (params.maxNewTokens() < 1) throw new IllegalArgumentException("a sequence must be allowed at least one new token");
    }

    /** A sequence of the base model. */
    public SequenceRequest(int[] prompt, SamplingParams params, int topLogprobs, boolean ignoreEos, SequenceListener listener) {
        this(prompt, params, topLogprobs, ignoreEos, listener, null);
    }
}
