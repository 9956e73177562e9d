package io.jswift.serve.engine;

import io.jswift.tensor.DType;

/**
 * Limits of the serving engine. maxNumSeqs: sequences decoded together in one batch (vLLM's --max-num-seqs);
 * maxWaiting: sequences queued beyond those (a request that does not fit gets HTTP 429); maxModelLen: prompt +
 * generated tokens of one sequence; prefillChunk: prompt tokens prefilled between two decode steps (chunked
 * prefill, so that a long prompt delays the running streams by one chunk's forward per step, not by its whole
 * prefill; 0: whole prompts); kvCacheDtype: the dtype of the KV pool's blocks (vLLM's --kv-cache-dtype; null: "auto",
 * the model's own, see KvBlockPool.autoDtype).
 */
public record EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int prefillChunk, int blockSize, int kvBlocks, DType kvCacheDtype) {
    public static final int DEFAULT_PREFILL_CHUNK = 512, DEFAULT_BLOCK_SIZE = 16;
    /** KV memory when no block count is given: 2 GiB at most (vLLM sizes it from free GPU memory instead). */
    public static final long DEFAULT_KV_BYTES = 2L << 30;

    /**
     * blockSize: positions per KV block; kvBlocks: blocks in the KV pool, the bound on KV memory (0: see
     * {@link #poolBlocks}; sequences wait for blocks when they run short).
     */
    public EngineConfig {
        if (blockSize < 1) throw new IllegalArgumentException("block_size must be >= 1, got " + blockSize);
        if (kvBlocks < 0) throw new IllegalArgumentException("the number of KV blocks must be >= 0, got " + kvBlocks);
        if (prefillChunk < 0) throw new IllegalArgumentException("the prefill chunk must be >= 0 tokens, got " + prefillChunk);
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1, got " + maxNumSeqs);
        if (maxWaiting < 0) throw new IllegalArgumentException("max_waiting_seqs must be >= 0, got " + maxWaiting);
        if (maxModelLen < 2) throw new IllegalArgumentException("max_model_len must be >= 2, got " + maxModelLen);
    }

    /** The KV pool in the model's dtype ("auto"). */
    public EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int prefillChunk, int blockSize, int kvBlocks) {
        this(maxNumSeqs, maxWaiting, maxModelLen, prefillChunk, blockSize, kvBlocks, null);
    }

    /**
     * Blocks of the pool for blocks of {@code bytesPerBlock} (2 × layers × kv heads × head dim × blockSize × the pool
     * dtype's size: KvBlockPool.bytesPerBlock): kvBlocks
     * when given, else enough for maxNumSeqs sequences of maxModelLen but no more than {@link #DEFAULT_KV_BYTES}.
     */
    public int poolBlocks(long bytesPerBlock) {
        if (kvBlocks > 0) return kvBlocks;
        long full = (long) maxNumSeqs * ((maxModelLen + blockSize - 1) / blockSize);
        return (int) Math.max(1, bytesPerBlock <= 0 ? full : Math.min(full, DEFAULT_KV_BYTES / bytesPerBlock));
    }

    /** --kv_cache_dtype as vLLM spells its choices: auto (null: the model's dtype), bfloat16, float32. */
    public static DType kvCacheDtype(String name) {
        return switch (name) {
            case "auto" -> null;
            case "bfloat16" -> DType.BF16;
            case "float32" -> DType.F32;
            default -> throw new IllegalArgumentException("--kv_cache_dtype " + name + ": expected auto, bfloat16 or float32"
                    + (name.startsWith("fp8") ? " (fp8 KV caches are not supported)" : ""));
        };
    }

    /** Default blocks of {@link #DEFAULT_BLOCK_SIZE} positions, as many as {@link #poolBlocks} allows. */
    public EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int prefillChunk) {
        this(maxNumSeqs, maxWaiting, maxModelLen, prefillChunk, DEFAULT_BLOCK_SIZE, 0, null);
    }
}
