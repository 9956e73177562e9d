package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.nn.deltanet.DeltaNetState;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * Keys and values of past positions for incremental decoding, as the decoder's attention sees them: each layer
 * hands its new k and v and gets the attention output over everything cached. {@link DenseKvCache} holds one
 * buffer for a batch that advances in lockstep; {@link BatchKvCache} groups independent per-sequence caches of
 * different lengths for one batched decode step (the server's continuous batching); {@link PackedKvCache} packs several
 * sequences' new tokens (decode rows and prompt chunks) as the rows of one forward (the server's fused step). Dims: B batch, T new
 * positions, Hq/Hkv query/key heads, D head dim.
 */
public abstract sealed class KvCache permits DenseKvCache, BatchKvCache, PagedKvCache, PackedKvCache {
    private long[] ropeDeltas; // [B] M-RoPE models: what each row adds to a token's index after its prefill; null: nothing

    /**
     * M-RoPE's rope deltas (transformers' {@code model.rope_deltas}): a Qwen2-VL prefill with images places the text
     * after an image at fewer positions than tokens, so every later token's position is its index plus this row's
     * delta. Set by the model at prefill, read at each decode step; null when never set (every delta 0).
     */
    public long[] ropeDeltas() { return ropeDeltas == null ? null : ropeDeltas.clone(); }

    public void ropeDeltas(long[] deltas) { this.ropeDeltas = deltas == null ? null : deltas.clone(); }

    /**
     * Whether {@link #copyRowsOf} works: a dense cache of keys and values only (a linear-attention layer's recurrent
     * state is not copied).
     */
    public boolean copiesRows() { return false; }

    /**
     * Fills this empty cache's rows from {@code from}'s: row r gets every cached position of row {@code source[r]}
     * (keys, values, segment ids, rope delta). A prompt prefilled once then serves several sequences (GRPO's
     * num_generations completions of a prompt, n > 1 samples of one request).
     */
    public void copyRowsOf(KvCache from, int[] source) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not copy rows between caches");
    }

    /** Positions already cached (the next token's position). */
    public abstract int length();

    /** Positions this cache can hold. */
    public abstract int capacity();

    /**
     * Records the segment ids [B, T] of the positions about to be appended (null: segment 0) and returns the key
     * segments [B, length + T] to mask with, or null when no call ever used segments.
     */
    abstract Tensor segmentsFor(Tensor querySegments, int t);

    /** Appends k, v [B, Hkv, T, D] of {@code layer} and returns the attention output [B, Hq, T, D] of q over all cached positions. */
    abstract Variable attend(int layer, Variable q, Variable k, Variable v, AttentionSpec spec);

    /** Called once per forward after every layer appended its T positions. */
    abstract void advance(int t);

    /**
     * Whether this cache holds DeepSeek's compressed latent per position (one kv head: the normed latent and the rotary
     * key part as the key, the latent as the value) rather than expanded per-head keys and values: the latent attention
     * layers then attend with the up-projection absorbed ({@link LatentAttention}). False unless made so.
     */
    boolean latent() { return false; }

    /**
     * The conv window and recurrent state of linear-attention {@code layer} (Qwen3-Next's Gated DeltaNet), which it
     * reads and updates: {@link DenseKvCache} holds them, a {@link PagedKvCache} in its pool's recurrent-state slot, a
     * {@link BatchKvCache} gathers its rows' slots.
     */
    DeltaNetState deltaNetState(int layer) {
        throw new IllegalStateException(getClass().getSimpleName() + " holds keys and values only, not the recurrent state of linear-attention layers "
                + "(Gated DeltaNet, Qwen3-Next)");
    }
}
