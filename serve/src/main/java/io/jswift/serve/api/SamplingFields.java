package io.jswift.serve.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sampling fields both endpoints share, over generation_config.json's defaults: max_tokens (chat also
 * max_completion_tokens), temperature, top_p, top_k (0 or -1: off, as vLLM), seed, stop, n, presence_penalty,
 * frequency_penalty, repetition_penalty; ranges as OpenAI's API reference states them.
 */
final class SamplingFields {
    static final int MAX_N = 128;

    private SamplingFields() {}

    /**
     * The request's sampling for a prompt of {@code promptLength} tokens. Without max_tokens: --max_new_tokens (when
     * set) capped by what max_model_len leaves, else what it leaves; with it, prompt + max_tokens beyond max_model_len is a 400.
     */
    static SamplingParams parse(ObjectNode body, boolean chat, GenerationSession session, int promptLength, ServeConfig limits) {
        int room = limits.engine().maxModelLen() - promptLength;
        if (room < 1) {
            throw ApiError.invalid(chat ? "messages" : "prompt",
                    "the prompt has " + promptLength + " tokens: this model's maximum context length is " + limits.engine().maxModelLen()
                            + " tokens, which leaves no room for a reply");
        }
        Long maxTokens = chat && body.hasNonNull("max_completion_tokens")
                ? Fields.integer(body, "max_completion_tokens", 1, Integer.MAX_VALUE) : Fields.integer(body, "max_tokens", 1, Integer.MAX_VALUE);
        int maxNew;
        if (maxTokens == null) maxNew = limits.maxNewTokens() > 0 ? Math.min(limits.maxNewTokens(), room) : room;
        else if (maxTokens > room) {
            String param = chat && body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            throw ApiError.invalid(param, "this model's maximum context length is " + limits.engine().maxModelLen() + " tokens: the prompt has "
                    + promptLength + " tokens and " + maxTokens + " more were requested (" + (promptLength + maxTokens) + " in all)");
        } else maxNew = (int) (long) maxTokens;

        Long seed = Fields.integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        SamplingParams p = session.defaults(maxNew, seed != null ? seed : ThreadLocalRandom.current().nextLong());
        Double temperature = Fields.number(body, "temperature", 0, 2);
        if (temperature != null) p = p.withTemperature(temperature);
        Double topP = Fields.number(body, "top_p", 0, 1);
        if (topP != null) {
            if (topP == 0) throw ApiError.invalid("top_p", "'top_p' must be in (0, 1], got 0");
            p = p.withTopP(topP);
        }
        Long topK = Fields.integer(body, "top_k", -1, Integer.MAX_VALUE);
        if (topK != null) p = p.withTopK(topK <= 0 ? 0 : (int) (long) topK);
        Double presence = Fields.number(body, "presence_penalty", -2, 2);
        if (presence != null) p = p.withPresencePenalty(presence);
        Double frequency = Fields.number(body, "frequency_penalty", -2, 2);
        if (frequency != null) p = p.withFrequencyPenalty(frequency);
        Double repetition = Fields.number(body, "repetition_penalty", Double.MIN_VALUE, Double.MAX_VALUE);
        if (repetition != null) p = p.withRepetitionPenalty(repetition);
        List<String> stop = Fields.strings(body, "stop");
        if (stop != null) p = p.withStopStrings(stop);
        return p;
    }

    /** n (choices per request), 1 when absent; never more than the batch can hold at once. */
    static int n(ObjectNode body, ServeConfig limits) {
        Long n = Fields.integer(body, "n", 1, MAX_N);
        if (n != null && n > limits.engine().maxNumSeqs()) {
            throw ApiError.invalid("n", "'n' is " + n + " but the server runs at most " + limits.engine().maxNumSeqs() + " sequences at once (--max_num_seqs)");
        }
        return n == null ? 1 : (int) (long) n;
    }

    /** stream and stream_options.include_usage (stream_options only with stream, as vLLM checks). */
    static boolean[] streaming(ObjectNode body) {
        Boolean stream = Fields.bool(body, "stream");
        boolean s = stream != null && stream;
        boolean usage = false;
        var options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!s) throw ApiError.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true");
            if (!(options instanceof ObjectNode o)) throw ApiError.invalid("stream_options", "'stream_options' must be an object");
            Boolean u = Fields.bool(o, "include_usage");
            usage = u != null && u;
        }
        return new boolean[]{s, usage};
    }
}
