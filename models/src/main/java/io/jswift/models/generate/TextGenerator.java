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
 * the rows still running: finished rows leave the decode batch (their cache rows are dropped by copying the others'
 * into a smaller cache, see {@link #shouldCompact}) when the cache copies rows; a cache that cannot (linear-attention
 * state) keeps them in the batch, their outputs unread, as HF's generate keeps finished rows as padding.
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
    private boolean compactFinished = true;

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
            int[] active = IntStream.range(0, batch).toArray(); // the row of `rows` each row of the cache (and of the decode batch) holds
            int[] logitsRow = new int[batch]; // active row i samples from logits row logitsRow[i]: its prompt's, after a shared prefill
            for (int r = 0; r < batch; r++) logitsRow[r] = share ? source[r] : r;
            if (share) cache.copyRowsOf(prefillCache, source);
            SequenceState.Step[] steps = new SequenceState.Step[batch];
            for (int step = 0; step < params.maxNewTokens(); step++) {
                sampleRows(rows, active, logits, logitsRow, steps);
                int running = 0;
                for (int i = 0; i < active.length; i++) {
                    int r = active[i];
                    SequenceState.Step s = steps[i];
                    steps[i] = null;
                    if (s == null || s.finish() == FinishReason.EOS) continue;
                    if (listener != null) listener.onToken(r, s.token());
                    if (!rows.get(r).finished()) running++;
                }
                if (running == 0) break;
                if (compactFinished && shouldCompact(active.length, running) && cache.copiesRows()) {
                    int[] keep = new int[running];
                    for (int i = 0, k = 0; i < active.length; i++) if (!rows.get(active[i]).finished()) keep[k++] = i;
                    cache = compact(cache, keep);
                    int[] kept = new int[running];
                    for (int k = 0; k < running; k++) kept[k] = active[keep[k]];
                    active = kept;
                }
                // every row in the batch decodes its last sampled token at the next position (a finished row still in
                // the batch repeats its last id: its output is not read)
                long[] next = new long[active.length], nextPos = new long[active.length];
                for (int i = 0; i < active.length; i++) {
                    SequenceState row = rows.get(active[i]);
                    next[i] = row.lastToken();
                    nextPos[i] = row.length() - 1;
                }
                logits = lastLogits(model.forward(new DecoderInput(Tensor.ofLongs(next, active.length, 1), Tensor.ofLongs(nextPos, active.length, 1),
                        padded ? Tensor.zeros(DType.I32, active.length, 1) : null, cache, false).to(device), 1).value());
                for (int i = 0; i < active.length; i++) logitsRow[i] = i;
            }
        }
        return rows;
    }

    /**
     * Whether to drop the finished rows from the decode batch now: once they are at least an eighth of it. Each row
     * left in the batch costs a full decode step of compute (~2 FLOP per weight), while compacting copies the cached
     * keys and values of the rows that go on (a few MB each), so dropping rows early pays; the eighth bounds the
     * copies to a few dozen per generation however the rows end.
     */
    static boolean shouldCompact(int inBatch, int running) {
        int finished = inBatch - running;
        return finished > 0 && finished * 8 >= inBatch;
    }

    /** A cache holding rows {@code keep} of {@code cache}, in that order (every cached position of each). */
    private KvCache compact(KvCache cache, int[] keep) {
        KvCache smaller = model.newCache(keep.length, cache.capacity());
        smaller.copyRowsOf(cache, keep);
        return smaller;
    }

    /**
     * Turns off dropping finished rows from the decode batch (tests check that it changes nothing); on by default.
     */
    void compactFinished(boolean on) {
        this.compactFinished = on;
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
     * Active row i (row {@code active[i]} of {@code rows}) reads its own copy of {@code logits} row {@code logitsRow[i]}
     * and gets its step in {@code steps[i]}; finished rows get no step (null).
     */
    private static void sampleRows(List<SequenceState> rows, int[] active, Tensor logits, int[] logitsRow, SequenceState.Step[] steps) {
        IntStream.range(0, active.length).parallel().forEach(i -> {
            SequenceState row = rows.get(active[i]);
            if (!row.finished()) steps[i] = row.advance(logits.select(0, logitsRow[i]).toFloatArray());
        });
    }

    /** logits [B, T, V] → the last position of each row, [B, V] on the CPU. */
    private static Tensor lastLogits(Tensor logits) {
        int t = logits.size(1);
        return logits.narrow(1, t - 1, 1).to(Device.CPU).reshape(logits.size(0), logits.size(2));
    }
}
