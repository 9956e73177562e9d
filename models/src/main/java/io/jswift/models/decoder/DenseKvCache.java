package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;
import io.jswift.nn.deltanet.DeltaNetState;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;

import java.util.function.IntPredicate;

/**
 * Keys and values of past positions for incremental decoding: per layer [B, Hkv, capacity, D] and [B, Hkv, capacity, Dv]
 * buffers (Dv ≠ D: DeepSeek's latent attention)
 * filled position by position; attention reads the first {@link #length()} positions as views. A linear-attention
 * layer (Gated DeltaNet) keeps its conv window and recurrent state here instead.
 */
public final class DenseKvCache extends KvCache {
    private final Tensor[] keys, values; // per layer [B, Hkv, capacity, D] and [.., Dv]; null for a linear-attention layer
    private final DeltaNetState[] deltaNet; // per layer: a linear-attention layer's state, else null
    private final Tensor keySegments;    // [B, capacity] I32 on the cache's device: segment of each cached position
    private final int capacity;
    private final boolean latent;        // DeepSeek's latent per position (KvCache#latent): values are the keys' first Dv dims
    private int length;
    private boolean segmented;           // true once any call passed segment ids (left padding)

    public DenseKvCache(Backend backend, int layers, int batch, int kvHeads, int headDim, int capacity) {
        this(backend, layers, batch, kvHeads, headDim, capacity, l -> false);
    }

    /** {@code linear}: which layers are linear attention (a recurrent state instead of keys and values). */
    public DenseKvCache(Backend backend, int layers, int batch, int kvHeads, int headDim, int capacity, IntPredicate linear) {
        this(backend, layers, batch, kvHeads, headDim, headDim, capacity, linear);
    }

    /** Keys of {@code headDim}, values of {@code valueHeadDim}; {@code linear} as above. */
    public DenseKvCache(Backend backend, int layers, int batch, int kvHeads, int headDim, int valueHeadDim, int capacity, IntPredicate linear) {
        this(backend, layers, batch, kvHeads, headDim, valueHeadDim, capacity, linear, false);
    }

    /**
     * DeepSeek's compressed KV cache (vLLM's MLA cache): per layer and position one [kv_lora_rank + qk_rope_head_dim]
     * key, the normed latent then the rotated rotary key, whose first kv_lora_rank dims are read as the value (a view,
     * stored once): (L + R) floats per position instead of H · (N + R + V).
     */
    static DenseKvCache latent(Backend backend, int layers, int batch, int kvLoraRank, int ropeDim, int capacity) {
        return new DenseKvCache(backend, layers, batch, 1, kvLoraRank + ropeDim, kvLoraRank, capacity, l -> false, true);
    }

    private DenseKvCache(Backend backend, int layers, int batch, int kvHeads, int headDim, int valueHeadDim, int capacity, IntPredicate linear,
                         boolean latent) {
        this.latent = latent;
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        this.deltaNet = new DeltaNetState[layers];
        this.capacity = capacity;
        for (int l = 0; l < layers; l++) {
            if (linear.test(l)) {
                deltaNet[l] = new DeltaNetState();
                continue;
            }
            keys[l] = backend.allocate(DType.F32, batch, kvHeads, capacity, headDim);
            values[l] = latent ? keys[l].narrow(3, 0, valueHeadDim) : backend.allocate(DType.F32, batch, kvHeads, capacity, valueHeadDim);
        }
        this.keySegments = backend.allocate(DType.I32, batch, capacity);
    }

    /**
     * Records the segment ids [B, T] of the positions about to be appended (null: segment 0) and returns the
     * key segments [B, length + T] to mask with, or null when no call ever used segments.
     */
    @Override
    Tensor segmentsFor(Tensor querySegments, int t) {
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache is full: " + length + " + " + t + " positions exceed its capacity of " + capacity);
        }
        if (querySegments != null) {
            segmented = true;
            keySegments.backend().copy(querySegments, keySegments.narrow(1, length, t));
        }
        return segmented ? keySegments.narrow(1, 0, length + t) : null;
    }

    @Override
    public int length() { return length; }

    @Override
    public int capacity() { return capacity; }

    @Override
    Variable attend(int layer, Variable q, Variable k, Variable v, AttentionSpec spec) {
        Tensor[] kv = append(layer, k.value(), v.value());
        return Fused.attention(q, Variable.constant(kv[0]), Variable.constant(kv[1]), spec);
    }

    /** Writes k and v [B, Hkv, T, D] of {@code layer} at positions [length, length + T); returns all keys/values so far. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int t = k.size(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache is full: " + length + " + " + t + " positions exceed its capacity of " + capacity
                    + " (raise max_new_tokens' budget or the model's max_position_embeddings)");
        }
        Backend b = k.backend();
        b.copy(k, keys[layer].narrow(2, length, t));
        if (!latent) b.copy(v, values[layer].narrow(2, length, t)); // latent: v is k's first dims, already written
        return new Tensor[]{keys[layer].narrow(2, 0, length + t), values[layer].narrow(2, 0, length + t)};
    }

    @Override
    void advance(int t) { length += t; }

    @Override
    boolean latent() { return latent; }

    @Override
    public boolean copiesRows() {
        for (DeltaNetState d : deltaNet) if (d != null) return false;
        return true;
    }

    @Override
    public void copyRowsOf(KvCache from, int[] source) {
        if (!(from instanceof DenseKvCache src) || !copiesRows() || !src.copiesRows()) {
            throw new UnsupportedOperationException("rows are copied between dense caches of keys and values only");
        }
        if (src.latent != latent) throw new UnsupportedOperationException("rows are copied between two latent (DeepSeek MLA) or two expanded caches");
        if (length != 0) throw new IllegalStateException("rows are copied into an empty cache, this one holds " + length + " positions");
        int n = src.length, batch = keySegments.size(0);
        if (source.length != batch) throw new IllegalArgumentException(source.length + " source rows for a batch of " + batch);
        if (n > capacity) throw new IllegalStateException("KV cache is full: " + n + " positions exceed its capacity of " + capacity);
        Backend b = keySegments.backend();
        for (int l = 0; l < keys.length; l++) {
            if (keys[l] == null) continue;
            for (int r = 0; r < batch; r++) {
                b.copy(src.keys[l].narrow(0, source[r], 1).narrow(2, 0, n), keys[l].narrow(0, r, 1).narrow(2, 0, n));
                if (!latent) b.copy(src.values[l].narrow(0, source[r], 1).narrow(2, 0, n), values[l].narrow(0, r, 1).narrow(2, 0, n));
            }
        }
        if (n > 0) for (int r = 0; r < batch; r++) b.copy(src.keySegments.narrow(0, source[r], 1).narrow(1, 0, n), keySegments.narrow(0, r, 1).narrow(1, 0, n));
        segmented = src.segmented;
        long[] deltas = src.ropeDeltas();
        if (deltas != null) {
            long[] mine = new long[batch];
            for (int r = 0; r < batch; r++) mine[r] = deltas[source[r]];
            ropeDeltas(mine);
        }
        length = n;
    }

    @Override
    DeltaNetState deltaNetState(int layer) {
        if (deltaNet[layer] == null) throw new IllegalStateException("layer " + layer + " is no linear-attention layer");
        return deltaNet[layer];
    }
}
