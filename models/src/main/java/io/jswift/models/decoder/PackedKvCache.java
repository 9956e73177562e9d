package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.PagedKv;

import java.util.Arrays;
import java.util.List;

/**
 * The new tokens of several sequences packed as the rows of one forward, each sequence over its own paged cache
 * (vLLM V1's flattened batch; Sarathi-Serve's hybrid batch of decodes and prefill chunks): the input is [N, 1], and
 * sequence s owns the consecutive rows [start_s, start_s + n_s), where n_s = 1 for a decode step and a prompt chunk's
 * length for a prefill. Every projection runs once over all N rows (each weight is read once per engine step, and a
 * chunk's rows share the GEMM with the decode rows); attention runs per sequence, its n_s queries over its cached
 * blocks plus its new positions, causal within the span. A run of adjacent one-token spans is one paged call
 * [run, Hq, 1, D] (what {@link BatchKvCache} makes for a decode step) and a longer span one [1, Hq, n_s, D] call (what
 * {@link PagedKvCache} makes for a prefill chunk), so every sequence's attention gets the floats it gets in those
 * forwards. Each sequence's new keys and values are written into its blocks before its queries attend.
 * Position ids [N, 1] must be given; no segment ids. Dims: N packed rows, Hq/Hkv query/key heads, D head dim.
 *
 * <p>Linear-attention layers (Qwen3-Next's Gated DeltaNet) carry a state along a sequence's tokens, which rows of
 * one token each cannot: a pool with recurrent-state slots is refused ({@link io.jswift.models.CausalLm#packsSequences}).
 */
public final class PackedKvCache extends KvCache {
    private final List<PagedKvCache> sequences;
    private final int[] spans;     // new tokens of each sequence, in row order
    private final int rows;        // N = the sum of spans
    private final KvBlockPool pool;

    public PackedKvCache(List<PagedKvCache> sequences, int[] spans) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("a packed batch needs at least one sequence");
        if (sequences.size() != spans.length) {
            throw new IllegalArgumentException(sequences.size() + " sequences but " + spans.length + " span lengths");
        }
        this.sequences = List.copyOf(sequences);
        this.spans = spans.clone();
        this.pool = sequences.getFirst().pool();
        int n = 0;
        for (int i = 0; i < spans.length; i++) {
            if (spans[i] < 1) throw new IllegalArgumentException("sequence " + i + " of a packed batch has " + spans[i] + " new tokens (at least 1)");
            if (sequences.get(i).pool() != pool) throw new IllegalArgumentException("the sequences of a packed batch must share one KV block pool");
            n += spans[i];
        }
        if (pool.states() != null) {
            throw new IllegalArgumentException("a pool with linear-attention state slots (Gated DeltaNet) cannot be packed: its state runs along each sequence");
        }
        this.rows = n;
    }

    /** Rows of the packed forward (the sum of the spans). */
    public int rows() { return rows; }

    /** Rows have their own sequences and lengths: positions come from the caller's position ids. */
    @Override
    public int length() {
        throw new IllegalStateException("the rows of a PackedKvCache belong to sequences of their own lengths: pass position ids");
    }

    @Override
    public int capacity() {
        return sequences.stream().mapToInt(KvCache::capacity).min().orElseThrow();
    }

    /** Row i's M-RoPE delta is its sequence's (set by that sequence's prefill); null when no sequence has one. */
    @Override
    public long[] ropeDeltas() {
        long[] out = new long[rows];
        boolean any = false;
        for (int s = 0, row = 0; s < spans.length; row += spans[s++]) {
            long[] d = sequences.get(s).ropeDeltas();
            if (d == null) continue;
            Arrays.fill(out, row, row + spans[s], d[0]);
            any = true;
        }
        return any ? out : null;
    }

    @Override
    public void ropeDeltas(long[] deltas) {
        throw new IllegalStateException("a PackedKvCache runs text tokens: rope deltas come from each sequence's own prefill");
    }

    /** Takes the blocks each sequence's new positions need; rows are unpadded tokens (no segments). */
    @Override
    Tensor segmentsFor(Tensor querySegments, int t) {
        if (querySegments != null) throw new IllegalArgumentException("a PackedKvCache takes no segment ids: its sequences are unpadded");
        if (t != 1) throw new IllegalArgumentException("a packed batch is [N, 1] (one token a row), got " + t + " tokens a row");
        for (int s = 0; s < spans.length; s++) sequences.get(s).segmentsFor(null, spans[s]);
        return null;
    }

    /** q [N, Hq, 1, D], k and v [N, Hkv, 1, D or Dv] → [N, Hq, 1, Dv]: see the class comment. */
    @Override
    Variable attend(int layer, Variable q, Variable k, Variable v, AttentionSpec spec) {
        if (q.size(0) != rows || q.size(2) != 1) {
            throw new IllegalArgumentException("a packed batch of " + rows + " rows expects q [" + rows + ", Hq, 1, D], got " + Arrays.toString(q.shape()));
        }
        Backend be = pool.backend();
        Tensor qs = q.value(), ks = k.value(), vs = v.value(), keys = pool.keys(layer), values = pool.values(layer);
        Tensor out = be.allocate(qs.dtype(), rows, qs.size(1), 1, vs.size(3));
        for (int s = 0, row = 0; s < spans.length; ) {
            if (spans[s] == 1) { // a run of decode rows: one call, as a BatchKvCache step
                int run = 0;
                while (s + run < spans.length && spans[s + run] == 1) run++;
                int[][] tables = new int[run][];
                int[] lengths = new int[run];
                for (int r = 0; r < run; r++) {
                    PagedKvCache seq = sequences.get(s + r);
                    seq.write(layer, ks.narrow(0, row + r, 1), vs.narrow(0, row + r, 1));
                    tables[r] = seq.table();
                    lengths[r] = seq.length() + 1;
                }
                be.copy(be.pagedAttention(qs.narrow(0, row, run), new PagedKv(keys, values, tables, lengths), spec), out.narrow(0, row, run));
                row += run;
                s += run;
            } else { // a prompt chunk: its rows as one sequence's T queries [1, Hq, T, D], as a PagedKvCache prefill
                int n = spans[s];
                PagedKvCache seq = sequences.get(s);
                seq.write(layer, ks.narrow(0, row, n).transpose(0, 2), vs.narrow(0, row, n).transpose(0, 2));
                Tensor o = be.pagedAttention(qs.narrow(0, row, n).transpose(0, 2),
                        new PagedKv(keys, values, new int[][]{seq.table()}, new int[]{seq.length() + n}), spec);
                be.copy(o, out.narrow(0, row, n).transpose(0, 2));
                row += n;
                s++;
            }
        }
        return Variable.constant(out);
    }

    @Override
    void advance(int t) {
        for (int s = 0; s < spans.length; s++) sequences.get(s).advance(spans[s]);
    }
}
