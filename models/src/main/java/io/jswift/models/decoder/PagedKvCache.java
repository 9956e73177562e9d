package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.nn.deltanet.DeltaNetState;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.PagedKv;

import java.util.Arrays;

/**
 * One sequence's keys and values in blocks of a {@link KvBlockPool}: a block table maps position p to block
 * table[p / blockSize], slot p % blockSize. Opening a cache for a prompt first takes the pool's cached blocks that
 * hold the same prefix (those positions need no prefill). Attention reads the blocks in place through the table
 * ({@link Backend#pagedAttention}: no per-layer copy of the sequence's keys). Batch 1; several join a decode step
 * through {@link BatchKvCache}, which attends all of them in one paged call. {@link #release()} gives the blocks back.
 * A model with linear-attention layers also holds a recurrent-state slot of the pool from open to release: each forward
 * reads the slot's state and writes the updated one back once all layers ran, so chunked prefill and decode continue it.
 */
public final class PagedKvCache extends KvCache {
    private final KvBlockPool pool;
    private final int capacity;
    private int[] table = new int[4];
    private int blocks, length;
    private long chainHash;          // chain hash of the registered prompt blocks so far
    private int registeredBlocks;
    private boolean released;
    private final int slot;                 // recurrent-state slot of the pool's linear-attention layers, -1: none
    private final DeltaNetState[] live;     // per layer, the state this forward updates (stored back at advance), or null

    private PagedKvCache(KvBlockPool pool, int capacity) {
        if (capacity > pool.maxSequence()) {
            throw new IllegalArgumentException("a sequence of " + capacity + " positions exceeds the pool's longest sequence (" + pool.maxSequence() + ")");
        }
        this.pool = pool;
        this.capacity = capacity;
        RecurrentStatePool states = pool.states();
        this.slot = states == null ? -1 : states.take();
        this.live = states == null ? null : new DeltaNetState[states.layers()];
    }

    /**
     * A cache with room for {@code capacity} positions, starting with the pool's cached blocks of {@code prompt}'s
     * longest shared prefix of full blocks; at least the prompt's last token is left to prefill (its logits are needed).
     * A pool whose model has linear-attention layers shares no prefix ({@link KvBlockPool#sharesPrefixes}).
     */
    public static PagedKvCache open(KvBlockPool pool, int[] prompt, int capacity) {
        return open(pool, prompt, capacity, 0);
    }

    /**
     * As {@link #open(KvBlockPool, int[], int)}, sharing prefix blocks only with prompts opened under the same
     * {@code namespace}: keys and values depend on more than the tokens when a LoRA adapter adapts k_proj / v_proj (or
     * any layer below them), so each adapter gets its own namespace (vLLM adds the LoRA id to its block hashes). The
     * namespace seeds the chain hash; 0 is the base model's.
     */
    public static PagedKvCache open(KvBlockPool pool, int[] prompt, int capacity, long namespace) {
        PagedKvCache c = new PagedKvCache(pool, capacity);
        c.chainHash = namespace;
        int bs = pool.blockSize();
        for (int b = 0; pool.sharesPrefixes() && (b + 1) * bs < prompt.length; b++) {
            long h = KvBlockPool.chain(c.chainHash, prompt, b * bs, (b + 1) * bs);
            int block = pool.lookup(h, prompt, b * bs);
            if (block < 0) break;
            c.push(block);
            c.chainHash = h;
            c.registeredBlocks++;
            c.length += bs;
        }
        return c;
    }

    /** Registers the full blocks of prompt[0, upTo) (once written) so that later prompts with that prefix share them. */
    public void registerPrompt(int[] prompt, int upTo) {
        if (!pool.sharesPrefixes()) return;
        int bs = pool.blockSize();
        int full = Math.min(upTo, length) / bs;
        for (int b = registeredBlocks; b < full; b++) {
            chainHash = KvBlockPool.chain(chainHash, prompt, b * bs, (b + 1) * bs);
            pool.register(table[b], chainHash, prompt, b * bs);
            registeredBlocks++;
        }
    }

    /** Blocks this cache holds. */
    public int blockCount() { return blocks; }

    /** Gives every block, and the recurrent-state slot, back to the pool (idempotent). */
    public void release() {
        if (released) return;
        released = true;
        for (int b = 0; b < blocks; b++) pool.release(table[b]);
        blocks = 0;
        if (slot >= 0) pool.states().release(slot);
    }

    @Override
    public int length() { return length; }

    @Override
    public int capacity() { return capacity; }

    @Override
    Tensor segmentsFor(Tensor querySegments, int t) {
        if (querySegments != null) throw new IllegalArgumentException("a paged cache holds one unpadded sequence: no segment ids");
        if (released) throw new IllegalStateException("the cache was released");
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache is full: " + length + " + " + t + " positions exceed its capacity of " + capacity);
        }
        while (blocks * pool.blockSize() < length + t) push(pool.allocate()); // blocks for this forward's positions, once
        return null;
    }

    /**
     * Appends k, v [1, Hkv, T, D] of {@code layer} and attends q over every cached position, reading the blocks in place
     * through the block table ({@link Backend#pagedAttention}). Inference only: the result carries no gradient.
     */
    @Override
    Variable attend(int layer, Variable q, Variable k, Variable v, AttentionSpec spec) {
        write(layer, k.value(), v.value());
        return Variable.constant(pool.backend().pagedAttention(q.value(), new PagedKv(pool.keys(layer), pool.values(layer),
                new int[][]{table}, new int[]{length + k.size(2)}), spec));
    }

    /** Writes the T new positions k, v [1, Hkv, T, D] of {@code layer} into their blocks (taken by segmentsFor). */
    void write(int layer, Tensor k, Tensor v) {
        int t = k.size(2), bs = pool.blockSize();
        Backend be = pool.backend();
        Tensor keys = pool.keys(layer), values = pool.values(layer);
        for (int p = length; p < length + t; ) {
            int block = table[p / bs], slot = p % bs, n = Math.min(bs - slot, length + t - p);
            be.copy(k.narrow(2, p - length, n), keys.narrow(0, block, 1).narrow(2, slot, n));
            be.copy(v.narrow(2, p - length, n), values.narrow(0, block, 1).narrow(2, slot, n));
            p += n;
        }
    }

    KvBlockPool pool() { return pool; }

    /** The block table (its tail past {@link #blockCount()} unused). */
    int[] table() { return table; }

    /** The state of linear-attention {@code layer} from this cache's slot; what the layer leaves in it is stored back at {@link #advance}. */
    @Override
    DeltaNetState deltaNetState(int layer) {
        if (slot < 0 || !pool.states().linear(layer)) return super.deltaNetState(layer);
        if (released) throw new IllegalStateException("the cache was released");
        return live[layer] = pool.states().load(layer, new int[]{slot});
    }

    /** The recurrent-state slot, -1 without linear-attention layers. */
    int slot() { return slot; }

    @Override
    void advance(int t) {
        if (live != null) {
            for (int l = 0; l < live.length; l++) {
                if (live[l] != null) pool.states().store(l, new int[]{slot}, live[l]);
                live[l] = null;
            }
        }
        length += t;
    }

    private void push(int block) {
        if (blocks == table.length) table = Arrays.copyOf(table, blocks * 2);
        table[blocks++] = block;
    }
}
