package io.jswift.models.decoder;

import io.jswift.models.CausalLm;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of a paged KV cache (vLLM's PagedAttention, Kwon et al. 2023): per layer one [blocks, Hkv, blockSize, D]
 * buffer of keys and one [.., Dv] of values (Dv ≠ D: DeepSeek's latent attention), handed out a block at a time to {@link PagedKvCache}s, so that KV memory is bounded by the pool and not by
 * max_model_len per sequence. Full blocks of prompts are registered under the hash of all tokens up to their end
 * (a chain, as vLLM's automatic prefix caching): a later prompt with the same prefix shares them (reference counts);
 * a block nobody holds stays cached until its memory is needed (least recently released first). A model with
 * linear-attention layers (Qwen3-Next) has blocks for its full-attention layers only and a {@link RecurrentStatePool}
 * slot per open cache for the others, and shares no prefix. Not thread-safe: the engine's scheduler thread owns it.
 */
public final class KvBlockPool {
    private final Tensor[] keys, values; // per layer [blocks, Hkv, blockSize, D] and [.., Dv] in the pool's dtype
    private final DType dtype;
    private final int blockSize, blocks, maxSequence;
    private final Backend backend;
    private final int[] refs;
    private final long[] hashOf;                                          // the prefix hash a block is registered under
    private final int[][] tokensOf;                                       // its tokens: a lookup compares them, so a hash collision cannot share wrong keys
    private final boolean[] registered;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();            // never registered, or evicted
    private final LinkedHashMap<Integer, Boolean> cachedIdle = new LinkedHashMap<>(); // registered, refs 0, oldest first
    private final Map<Long, Integer> byHash = new HashMap<>();

    private final RecurrentStatePool states;                              // the linear-attention layers' per-sequence state, or null

    /** An f32 pool; maxSequence: the longest sequence (prompt + reply) a cache from this pool may hold. */
    public KvBlockPool(Backend backend, int layers, int kvHeads, int headDim, int blocks, int blockSize, int maxSequence) {
        this(backend, DType.F32, layers, kvHeads, headDim, headDim, blocks, blockSize, maxSequence, null);
    }

    /** An f32 pool of keys of {@code headDim} and values of {@code valueHeadDim} (DeepSeek's latent attention); maxSequence as above. */
    public KvBlockPool(Backend backend, int layers, int kvHeads, int headDim, int valueHeadDim, int blocks, int blockSize, int maxSequence) {
        this(backend, DType.F32, layers, kvHeads, headDim, valueHeadDim, blocks, blockSize, maxSequence, null);
    }

    /**
     * A pool whose blocks hold keys and values in {@code dtype} (F32, BF16 or F16: what the paged kernels read in place; keys
     * and values are rounded to it as they are written, as vLLM's kv_cache_dtype).
     */
    public KvBlockPool(Backend backend, DType dtype, int layers, int kvHeads, int headDim, int blocks, int blockSize, int maxSequence) {
        this(backend, dtype, layers, kvHeads, headDim, headDim, blocks, blockSize, maxSequence, null);
    }

    /**
     * Keys of {@code headDim}, values of {@code valueHeadDim}; {@code states}: the recurrent state of the linear-attention
     * layers, which get no key and value blocks; null: none.
     */
    private KvBlockPool(Backend backend, DType dtype, int layers, int kvHeads, int headDim, int valueHeadDim, int blocks, int blockSize,
                        int maxSequence, RecurrentStatePool states) {
        if (blocks < 1 || blockSize < 1) throw new IllegalArgumentException("a KV pool needs >= 1 block of >= 1 token, got " + blocks + " x " + blockSize);
        if (!STORED.contains(dtype)) throw new IllegalArgumentException("a KV pool holds " + STORED + " keys and values, not " + dtype);
        this.backend = backend;
        this.dtype = dtype;
        this.blockSize = blockSize;
        this.blocks = blocks;
        this.states = states;
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            if (states != null && states.linear(l)) continue;
            keys[l] = backend.allocate(dtype, blocks, kvHeads, blockSize, headDim);
            values[l] = backend.allocate(dtype, blocks, kvHeads, blockSize, valueHeadDim);
        }
        this.maxSequence = maxSequence;
        this.refs = new int[blocks];
        this.tokensOf = new int[blocks][];
        this.hashOf = new long[blocks];
        this.registered = new boolean[blocks];
        for (int b = 0; b < blocks; b++) free.add(b);
    }

    /** The dtypes a pool may hold. */
    public static final List<DType> STORED = List.of(DType.F32, DType.BF16, DType.F16);

    /**
     * A pool for {@code model}'s layers and heads, on its device, in the model's dtype ({@link #autoDtype}); a model with
     * linear-attention layers gets one recurrent-state slot (one open cache at a time).
     */
    public static KvBlockPool forModel(CausalLm model, int blocks, int blockSize, int maxSequence) {
        return forModel(model, null, blocks, blockSize, maxSequence, 1);
    }

    /**
     * vLLM's kv_cache_dtype "auto": the dtype the model computes in, i.e. BF16 or F16 when most of its floating parameters
     * are of that dtype (its keys and values are then of it already: such a pool stores them exactly, at half an f32
     * pool's memory), else F32.
     */
    public static DType autoDtype(CausalLm model) {
        long bf16 = 0, f16 = 0, other = 0;
        for (var p : model.namedParameters().values()) {
            DType t = p.value().dtype();
            if (!t.isFloatingPoint()) continue;
            if (t == DType.BF16) bf16 += p.value().numel();
            else if (t == DType.F16) f16 += p.value().numel();
            else other += p.value().numel();
        }
        if (bf16 > f16 + other) return DType.BF16;
        return f16 > bf16 + other ? DType.F16 : DType.F32;
    }

    /**
     * Bytes of one block over {@code model}'s full-attention layers (a linear-attention layer keeps no keys and values):
     * keys (D) and values (Dv), blockSize positions, in {@code dtype}.
     */
    public static long bytesPerBlock(CausalLm model, DType dtype, int blockSize) {
        var a = model.config().attention();
        return (long) attentionLayers(model) * a.numKvHeads() * (a.headDim() + a.valueHeadDim()) * blockSize * dtype.byteSize();
    }

    /** Bytes of one sequence's recurrent-state slot (0 for a model without linear-attention layers). */
    public static long bytesPerStateSlot(CausalLm model) {
        var linear = model.config().linearAttention();
        return linear == null ? 0 : RecurrentStatePool.bytesPerSlot(linear, model.config().numLayers());
    }

    private static int attentionLayers(CausalLm model) {
        var linear = model.config().linearAttention();
        int n = 0;
        for (int l = 0; l < model.config().numLayers(); l++) if (linear == null || !linear.linear(l)) n++;
        return n;
    }

    /** As {@link #forModel(CausalLm, int, int, int)} with blocks in {@code dtype} (null: {@link #autoDtype}). */
    public static KvBlockPool forModel(CausalLm model, DType dtype, int blocks, int blockSize, int maxSequence) {
        return forModel(model, dtype, blocks, blockSize, maxSequence, 1);
    }

    /**
     * As {@link #forModel(CausalLm, DType, int, int, int)}, for up to {@code sequences} caches open at once when the model
     * has linear-attention layers (Qwen3-Next's Gated DeltaNet): each holds a recurrent-state slot ({@link RecurrentStatePool}).
     */
    public static KvBlockPool forModel(CausalLm model, DType dtype, int blocks, int blockSize, int maxSequence, int sequences) {
        var a = model.config().attention();
        Backend backend = Backends.forDevice(model.device());
        var linear = model.config().linearAttention();
        RecurrentStatePool states = linear == null ? null : new RecurrentStatePool(backend, linear, model.config().numLayers(), sequences);
        return new KvBlockPool(backend, dtype == null ? autoDtype(model) : dtype, model.config().numLayers(), a.numKvHeads(), a.headDim(),
                a.valueHeadDim(), blocks, blockSize, maxSequence, states);
    }

    /** The dtype of the keys and values the blocks hold. */
    public DType dtype() { return dtype; }

    public int maxSequence() { return maxSequence; }

    public int blockSize() { return blockSize; }

    public int blocks() { return blocks; }

    /** Blocks that a new allocation can take (free ones and cached ones nobody holds). */
    public int available() { return free.size() + cachedIdle.size(); }

    /** Blocks held by at least one sequence. */
    public int used() { return blocks - available(); }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) { return (tokens + blockSize - 1) / blockSize; }

    /** A block for new positions (reference count 1); evicts the least recently released cached block when none is free. */
    int allocate() {
        int b;
        if (!free.isEmpty()) b = free.poll();
        else if (!cachedIdle.isEmpty()) {
            b = cachedIdle.keySet().iterator().next();
            cachedIdle.remove(b);
            byHash.remove(hashOf[b]);
            registered[b] = false;
            tokensOf[b] = null;
        } else throw new IllegalStateException("the KV cache pool is exhausted (" + blocks + " blocks of " + blockSize
                + " tokens): the scheduler admits only sequences whose blocks fit");
        refs[b] = 1;
        return b;
    }

    /** The cached block holding tokens[from, from + blockSize) after the prefix whose chain hash leads to {@code prefixHash} (its reference taken), or -1. */
    int lookup(long prefixHash, int[] tokens, int from) {
        Integer b = byHash.get(prefixHash);
        if (b == null || !Arrays.equals(tokensOf[b], 0, blockSize, tokens, from, from + blockSize)) return -1;
        if (refs[b]++ == 0) cachedIdle.remove(b);
        return b;
    }

    /** Registers a full block holding tokens[from, from + blockSize) under its chain hash (first registration wins). */
    void register(int block, long prefixHash, int[] tokens, int from) {
        if (registered[block] || byHash.containsKey(prefixHash)) return;
        registered[block] = true;
        hashOf[block] = prefixHash;
        tokensOf[block] = Arrays.copyOfRange(tokens, from, from + blockSize);
        byHash.put(prefixHash, block);
    }

    void release(int block) {
        if (refs[block] <= 0) throw new IllegalStateException("KV block " + block + " released more often than taken");
        if (--refs[block] > 0) return;
        if (registered[block]) cachedIdle.put(block, Boolean.TRUE);
        else free.add(block);
    }

    /** The chain hash of a block of tokens after a prefix hash (FNV-1a style, 64-bit: equal chains mean equal prefixes). */
    static long chain(long prefixHash, int[] tokens, int from, int to) {
        long h = prefixHash ^ 0xcbf29ce484222325L;
        for (int i = from; i < to; i++) {
            h ^= tokens[i];
            h *= 0x100000001b3L;
            h = Long.rotateLeft(h, 29) * 0x9E3779B97F4A7C15L;
        }
        return h;
    }

    /** The linear-attention layers' recurrent-state slots, or null when the model has none. */
    RecurrentStatePool states() { return states; }

    /** Slots for linear-attention state no open cache holds (0 for a model without such layers). */
    public int stateSlotsAvailable() { return states == null ? 0 : states.available(); }

    /**
     * Whether full prompt blocks are shared between prompts (automatic prefix caching): not with linear-attention layers,
     * whose state after a prefix is not kept per block (vLLM's default for hybrid models).
     */
    public boolean sharesPrefixes() { return states == null; }

    Tensor keys(int layer) { return keys[layer]; }

    Tensor values(int layer) { return values[layer]; }

    Backend backend() { return backend; }
}
