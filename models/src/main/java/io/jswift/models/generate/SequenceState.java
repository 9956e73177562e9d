package io.jswift.models.generate;

import io.jswift.models.generate.TextGenerator.FinishReason;

import java.util.Arrays;

/**
 * One sequence being generated, whatever drives the forward passes (a static batch, the server's scheduler, GRPO
 * rollouts): it turns each row of logits into the next token (its own seeded {@link Sampler} and penalties), ends
 * on an eos id, a stop string or the token budget, and streams the text (when it has a {@link TextStream}).
 * Not thread-safe: one driver per sequence.
 */
public final class SequenceState {
    /** What one step produced: the token, the text it released, why the sequence ended (null: still running). */
    public record Step(int token, String text, FinishReason finish, TokenLogprobs logprobs) {}

    private final SamplingParams params;
    private final Sampler sampler;
    private final int[] eosIds;
    private final TextStream stream;   // null: no text (stop strings then not allowed)
    private final int topLogprobs;     // < 0: no logprobs
    private final int promptLength;
    private int[] seen;                // prompt then generated ids (eos included, as HF's input_ids)
    private int seenLength;
    private int generated;             // tokens of the reply (eos not counted)
    private FinishReason finish;

    public SequenceState(int[] prompt, SamplingParams params, int[] eosIds, TextStream stream, int topLogprobs) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (!params.stopStrings().isEmpty() && stream == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to decode the generated text");
        }
        this.params = params;
        this.sampler = new Sampler(params);
        this.eosIds = eosIds.clone();
        this.stream = stream;
        this.topLogprobs = topLogprobs;
        this.promptLength = prompt.length;
        this.seen = Arrays.copyOf(prompt, prompt.length + Math.min(params.maxNewTokens(), 1024) + 1);
        this.seenLength = prompt.length;
        if (params.maxNewTokens() == 0) finish = FinishReason.LENGTH;
    }

    /** Picks the next token from {@code logits} (the last position's row; modified in place) and records it. */
    public Step advance(float[] logits) {
        if (finish != null) throw new IllegalStateException("the sequence already ended (" + finish + ")");
        TokenLogprobs lp = null;
        float[] raw = topLogprobs >= 0 ? logits.clone() : null;
        int token = sampler.next(logits, seen, promptLength, seenLength);
        if (raw != null) lp = TokenLogprobs.of(raw, token, topLogprobs);
        if (seenLength == seen.length) seen = Arrays.copyOf(seen, seen.length * 2);
        seen[seenLength++] = token;
        if (isEos(token)) {
            finish = FinishReason.EOS;
            return new Step(token, stream == null ? "" : stream.finish(), finish, lp);
        }
        generated++;
        String text = stream == null ? "" : stream.push(token);
        if (stream != null && stream.stopped()) finish = FinishReason.STOP_STRING;
        else if (generated == params.maxNewTokens()) {
            finish = FinishReason.LENGTH;
            if (stream != null) text += stream.finish();
        }
        return new Step(token, text, finish, lp);
    }

    private boolean isEos(int token) {
        for (int e : eosIds) if (e == token) return true;
        return false;
    }

    /** The generated ids so far, without an eos that ended them. */
    public int[] tokens() {
        return Arrays.copyOfRange(seen, promptLength, promptLength + generated);
    }

    /** Every id sampled, the eos that ended the sequence included (GRPO's completion_ids). */
    public int[] sampledTokens() {
        return Arrays.copyOfRange(seen, promptLength, seenLength);
    }

    /** The last id sampled (the next forward's input), or the prompt's last id before the first step. */
    public int lastToken() { return seen[seenLength - 1]; }

    /** Ids the model has seen or will see next: the prompt and every token sampled so far. */
    public int length() { return seenLength; }

    public int promptLength() { return promptLength; }

    /** Number of generated tokens (eos not counted: OpenAI's completion_tokens counts it, see the server). */
    public int generated() { return generated; }

    /** Tokens sampled, the eos included when one ended the sequence (vLLM's completion_tokens). */
    public int sampled() { return seenLength - promptLength; }

    /** Why the sequence ended, or null while it runs. */
    public FinishReason finish() { return finish; }

    public boolean finished() { return finish != null; }

    /** The text so far (null without a {@link TextStream}). */
    public String text() { return stream == null ? null : stream.text(); }

    public SamplingParams params() { return params; }
}
