package io.jswift.serve.api;

import io.jswift.models.generate.SamplingParams;

/**
 * A validated completion request, the same for both endpoints: prompt ids, sampling (max new tokens resolved),
 * n choices (choice i samples from seed + i), streaming options, logprobs (topLogprobs < 0: none) and vLLM's
 * ignore_eos (only the budget and stop strings end a reply: load tests ask for exact lengths).
 */
record GenerationJob(String model, int[] prompt, SamplingParams params, int n, boolean stream, boolean includeUsage,
                     int topLogprobs, boolean ignoreEos) {
    boolean logprobs() { return topLogprobs >= 0; }
}
