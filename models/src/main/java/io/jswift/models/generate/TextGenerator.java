package io.jswift.models.generate;

import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.VisionInput;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Autoregressive generation with a KV cache: one prefill of every distinct prompt (left-padded to a common length,
 * padding isolated by segment ids, positions counted from each prompt's first real token, as HF does
 * with an attention mask; rows repeating a prompt get a copy of its cache), then one decode step per new token for
 * the rows still running.
 */
public final class TextGenerator {
    /** Receives each new token of each row as it is produced (streaming). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int row, int tokenId);
    }

    public enum FinishReason { EOS, STOP_STRING, LENGTH }

    /** Generated ids (without the eos that ended them) and why generation stopped. */
    public record Result(int[] tokens, FinishReason reason) {}

    private final CausalLm model;
    private final int[] eosIds;
    private final Tokenizer tokenizer; // decodes the text for stop strings; null when none are used

    public TextGenerator(CausalLm model, int[] eosIds, Tokenizer tokenizer) {
        this.model = model;
        this.eosIds = eosIds.clone();
        this.tokenizer = tokenizer;
    }

    public List<Result> generate(List<int[]> prompts, SamplingParams params, TokenListener listener) {
        return generate(prompts, null, params, listener);
    }

    /** As above, the prompts' images (for their image tokens, row by row; null: none) going in with the prefill. */
    public List<Result> generate(List<int[]> prompts, VisionInput images, SamplingParams params, TokenListener listener) {
        List<Result> results = new ArrayList<>();
        for (SequenceState row : run(prompts, images, params, listener)) {
            results.add(new Result(row.tokens(), row.finish() == null ? FinishReason.LENGTH : row.finish()));
        }
        return results;
    }

    /** As {@link #generate}, returning each row's final state (its sampled ids, eos included: GRPO rollouts). */
    public List<SequenceState> run(List<int[]> prompts, SamplingParams params, TokenListener listener) {
        return run(prompts, null, params, listener);
    }

    /** As above with the prompts' images (null: none). */
    public List<SequenceState> run(List<int[]> prompts, VisionInput images, SamplingParams params, TokenListener listener) {
        if (prompts.isEmpty()) return List.of();
        if (!params.stopStrings().isEmpty() && tokenizer == null) {
            throw new IllegalArgumentException("stop strings need a tokenizer to decode the generated text");
        }
        int vocab = model.config().vocabSize();
        int batch = prompts.size(), longest = 0, shortest = Integer.MAX_VALUE;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
            for (int id : p) {
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
            longest = Math.max(longest, p.length);
            shortest = Math.min(shortest, p.length);
        }
        boolean padded = longest != shortest;
        KvCache cache = model.newCache(batch, longest + params.maxNewTokens());
        List<SequenceState> rows = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            TextStream text = params.stopStrings().isEmpty() ? null : new TextStream(tokenizer.streamingDecoder(true), params.stopStrings());
            // each row its own reproducible stream
            rows.add(new SequenceState(prompts.get(r), params.withSeed(params.seed() + r), eosIds, text, -1));
        }
        // rows with the same prompt (GRPO's num_generations completions of one prompt) prefill it once: the distinct
        // prompts go through the model, then each row's cache is a copy of its prompt's
        List<int[]> distinct = new ArrayList<>();
        int[] source = distinctPrompts(prompts, distinct);
        boolean share = images == null && distinct.size() < batch && cache.copiesRows();
        List<int[]> prefilled = share ? distinct : prompts;
        KvCache prefillCache = share ? model.newCache(distinct.size(), longest) : cache;
        int n = prefilled.size();
        long[] ids = new long[n * longest], pos = new long[n * longest];
        int[] seg = new int[n * longest];
        for (int r = 0; r < n; r++) {
            int[] p = prefilled.get(r);
            int pad = longest - p.length;
            for (int j = 0; j < longest; j++) {
                boolean real = j >= pad;
                ids[r * longest + j] = real ? p[j - pad] : 0;
                pos[r * longest + j] = real ? j - pad : 0;
                seg[r * longest + j] = real ? 0 : -1;
            }
        }
        Device device = model.device(); // ids go where the weights are; only the last row of logits comes back
        try (var scope = GradMode.noGrad()) {
            DecoderInput prefill = new DecoderInput(Tensor.ofLongs(ids, n, longest), Tensor.ofLongs(pos, n, longest),
                    padded ? Tensor.ofInts(seg, n, longest) : null, prefillCache, false).to(device);
            Tensor logits = lastLogits((images == null ? model.forward(prefill, 1) : model.forward(prefill, images, 1)).value());
            int[] logitsRow = new int[batch]; // row r samples from logits row logitsRow[r]: its prompt's, after a shared prefill
            for (int r = 0; r < batch; r++) logitsRow[r] = share ? source[r] : r;
            if (share) cache.copyRowsOf(prefillCache, source);
            SequenceState.Step[] steps = new SequenceState.Step[batch];
            for (int step = 0; step < params.maxNewTokens(); step++) {
                sampleRows(rows, logits, logitsRow, steps);
                long[] next = new long[batch], nextPos = new long[batch];
                boolean anyRunning = false;
                for (int r = 0; r < batch; r++) {
                    SequenceState.Step s = steps[r];
                    nextPos[r] = rows.get(r).length() - (s == null ? 0 : 1);
                    if (s == null) continue;
                    steps[r] = null;
                    next[r] = s.token();
                    if (s.finish() == FinishReason.EOS) continue;
                    if (listener != null) listener.onToken(r, s.token());
                    anyRunning |= !rows.get(r).finished();
                }
                if (!anyRunning) break;
                logits = lastLogits(model.forward(new DecoderInput(Tensor.ofLongs(next, batch, 1), Tensor.ofLongs(nextPos, batch, 1),
                        padded ? Tensor.zeros(DType.I32, batch, 1) : null, cache, false).to(device), 1).value());
                for (int r = 0; r < batch; r++) logitsRow[r] = r;
            }
        }
        return rows;
    }

    /** Row r's index in {@code distinct}, which receives each different prompt once, in order of first appearance. */
    private static int[] distinctPrompts(List<int[]> prompts, List<int[]> distinct) {
        Map<List<Integer>, Integer> index = new HashMap<>();
        int[] source = new int[prompts.size()];
        for (int r = 0; r < prompts.size(); r++) {
            int[] p = prompts.get(r);
            source[r] = index.computeIfAbsent(Arrays.stream(p).boxed().toList(), k -> {
                distinct.add(p);
                return distinct.size() - 1;
            });
        }
        return source;
    }

    /**
     * The next token of every running row, rows in parallel (each has its own seeded sampler, so the tokens do not
     * depend on the threads; over a 152K vocabulary a row's top-k pass costs about a millisecond, 64 rows a step).
     * Row r reads its own copy of {@code logits} row {@code logitsRow[r]}; finished rows get no step (null).
     */
    private static void sampleRows(List<SequenceState> rows, Tensor logits, int[] logitsRow, SequenceState.Step[] steps) {
        IntStream.range(0, rows.size()).parallel().forEach(r -> {
            SequenceState row = rows.get(r);
            if (!row.finished()) steps[r] = row.advance(logits.select(0, logitsRow[r]).toFloatArray());
        });
    }

    /** logits [B, T, V] → the last position of each row, [B, V] on the CPU. */
    private static Tensor lastLogits(Tensor logits) {
        int t = logits.size(1);
        return logits.narrow(1, t - 1, 1).to(Device.CPU).reshape(logits.size(0), logits.size(2));
    }
}
