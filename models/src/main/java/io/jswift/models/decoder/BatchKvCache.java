package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.deltanet.DeltaNetState;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.PagedKv;

import java.util.List;

/**
 * Row b of the batch is sequence b with its own cache (of any length): every projection of a forward runs on all
 * rows at once (the weights are read once per step), while attention reads each row's own keys, as vLLM's decode
 * batches do: rows of one {@link KvBlockPool} in one {@link Backend#pagedAttention} call through their block tables,
 * other caches row by row. Rows carry no segments (no padding); positions must be given (they differ per row).
 * The per-row attention is exactly what the row would compute alone, so a greedy sequence does not depend on the
 * batch it decodes in (up to the batched projections' summation order, see the server's tests). Linear-attention layers
 * (Qwen3-Next) read the rows' recurrent states gathered from their slots into one [B, ...] state, and the updated rows go
 * back to their slots once the forward is done, so each row continues its own state.
 */
public final class BatchKvCache extends KvCache {
    private final List<KvCache> rows;
    private DeltaNetState[] live;             // per layer, the batch state this forward updates, or null

    public BatchKvCache(List<? extends KvCache> rows) {
        if (rows.isEmpty()) throw new IllegalArgumentException("a batch needs at least one row cache");
        this.rows = List.copyOf(rows);
    }

    /** Rows have their own lengths: positions come from the caller's position ids, never from here. */
    @Override
    public int length() {
        throw new IllegalStateException("the rows of a BatchKvCache have their own lengths: pass position ids");
    }

    /**
     * Row r's M-RoPE delta is its own cache's (set by its prefill; 0 for a row without one): each sequence of the batch
     * keeps the offset its images gave it. Null when no row has any.
     */
    @Override
    public long[] ropeDeltas() {
        long[] out = new long[rows.size()];
        boolean any = false;
        for (int r = 0; r < out.length; r++) {
            long[] d = rows.get(r).ropeDeltas();
            if (d == null) continue;
            if (d.length != 1) throw new IllegalStateException("row cache " + r + " holds " + d.length + " rope deltas, one expected");
            out[r] = d[0];
            any = true;
        }
        return any ? out : null;
    }

    /** A batch is a decode step: its rows' deltas were set by their own prefills. */
    @Override
    public void ropeDeltas(long[] deltas) {
        throw new IllegalStateException("a BatchKvCache decodes: rope deltas come from each row's prefill");
    }

    @Override
    public int capacity() {
        return rows.stream().mapToInt(KvCache::capacity).min().orElseThrow();
    }

    @Override
    Tensor segmentsFor(Tensor querySegments, int t) {
        if (querySegments != null) throw new IllegalArgumentException("a BatchKvCache takes no segment ids: its rows are unpadded sequences");
        for (KvCache row : rows) {
            if (row.segmentsFor(null, t) != null) throw new IllegalStateException("a row cache was filled with segment ids (padding): it cannot join a batch");
        }
        return null;
    }

    @Override
    Variable attend(int layer, Variable q, Variable k, Variable v, AttentionSpec spec) {
        int b = q.size(0);
        if (b != rows.size()) throw new IllegalArgumentException("batch of " + b + " rows for " + rows.size() + " row caches");
        KvBlockPool pool = commonPool();
        if (pool != null) return Variable.constant(pool.backend().pagedAttention(q.value(), paged(pool, layer, k.value(), v.value()), spec));
        Tensor out = q.value().backend().allocate(DType.F32, b, q.size(1), q.size(2), v.size(3)); // [B, Hq, T, Dv]
        for (int r = 0; r < b; r++) {
            Variable row = rows.get(r).attend(layer, Views.narrow(q, 0, r, 1), Views.narrow(k, 0, r, 1), Views.narrow(v, 0, r, 1), spec);
            out.backend().copy(row.value(), out.narrow(0, r, 1));
        }
        return Variable.constant(out);
    }

    /** Latent when its rows are (a batch's rows come from one model's {@code newCache}, so they agree). */
    @Override
    boolean latent() {
        boolean first = rows.getFirst().latent();
        for (KvCache row : rows) {
            if (row.latent() != first) throw new IllegalStateException("a batch mixes latent (DeepSeek MLA) and expanded row caches");
        }
        return first;
    }

    /** The pool every row's blocks come from, or null when a row is not a paged cache (or pools differ). */
    private KvBlockPool commonPool() {
        KvBlockPool pool = null;
        for (KvCache row : rows) {
            if (!(row instanceof PagedKvCache p) || pool != null && p.pool() != pool) return null;
            pool = p.pool();
        }
        return pool;
    }

    /** Writes each row's new k, v into its blocks and returns every row's block table for one paged attention call. */
    private PagedKv paged(KvBlockPool pool, int layer, Tensor k, Tensor v) {
        int[][] tables = new int[rows.size()][];
        int[] lengths = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            PagedKvCache row = (PagedKvCache) rows.get(r);
            row.write(layer, k.narrow(0, r, 1), v.narrow(0, r, 1));
            tables[r] = row.table();
            lengths[r] = row.length() + k.size(2);
        }
        return new PagedKv(pool.keys(layer), pool.values(layer), tables, lengths);
    }

    /** The rows' states of linear-attention {@code layer} as one batch state [B, ...] (rows of one pool's paged caches). */
    @Override
    DeltaNetState deltaNetState(int layer) {
        KvBlockPool pool = commonPool();
        if (pool == null || pool.states() == null) {
            throw new IllegalStateException("a batch with linear-attention layers needs paged row caches of one pool (their recurrent-state slots)");
        }
        if (live == null) live = new DeltaNetState[pool.states().layers()];
        return live[layer] = pool.states().load(layer, slots());
    }

    private int[] slots() {
        int[] slots = new int[rows.size()];
        for (int r = 0; r < slots.length; r++) slots[r] = ((PagedKvCache) rows.get(r)).slot();
        return slots;
    }

    @Override
    void advance(int t) {
        if (live != null) {
            KvBlockPool pool = commonPool();
            int[] slots = slots();
            for (int l = 0; l < live.length; l++) {
                if (live[l] != null) pool.states().store(l, slots, live[l]);
                live[l] = null;
            }
        }
        for (KvCache row : rows) row.advance(t);
    }
}
