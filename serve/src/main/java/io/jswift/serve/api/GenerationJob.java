package io.jswift.serve.api;

import io.jswift.models.generate.SamplingParams;
import io.jswift.models.vision.VisionInput;

/**
 * A validated completion request, the same for both endpoints: the model id asked for and the LoRA adapter it
 * selects (null: the base model), prompt ids, sampling (max new tokens resolved),
 * n choices (choice i samples from seed + i), streaming options, logprobs (topLogprobs < 0: none) and vLLM's
 * ignore_eos (only the budget and stop strings end a reply: load tests ask for exact lengths); toolCalls: the reply
 * is read for tool calls (a chat request with tools), parallelToolCalls: more than one may come back; images: the chat
 * prompt's images (a vision-language model's; null: none).
 */
record GenerationJob(String model, String adapter, int[] prompt, SamplingParams params, int n, boolean stream, boolean includeUsage,
                     int topLogprobs, boolean ignoreEos, boolean toolCalls, boolean parallelToolCalls, VisionInput images) {
    boolean logprobs() { return topLogprobs >= 0; }
}
