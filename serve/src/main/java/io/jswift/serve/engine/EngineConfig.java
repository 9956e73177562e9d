package io.jswift.serve.engine;

import io.jswift.tensor.DType;

/**
 * Limits of the serving engine. maxNumSeqs: sequences decoded together in one batch (vLLM's --max-num-seqs);
 * maxWaiting: sequences queued beyond those (a request that does not fit gets HTTP 429); maxModelLen: prompt +
 * generated tokens of one sequence; maxNumBatchedTokens: the tokens of one engine step, as vLLM's
 * --max-num-batched-tokens: every running sequence's decode token first, then prompt chunks in what is left
 * (Sarathi-Serve's stall-free batching, vLLM V1's scheduler), so that a long prompt delays the running streams by one
 * budget's worth of compute per step, not by its whole prefill; 0: no bound, whole prompts in one step; kvCacheDtype: the dtype of the KV pool's blocks (vLLM's --kv-cache-dtype; null: "auto",
 * the model's own, see KvBlockPool.autoDtype).
 */
public record EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int maxNumBatchedTokens, int blockSize, int kvBlocks, DType kvCacheDtype) {
    /**
     * The default step budget. vLLM's 2048 (V1, GPU) sized for a CPU: a step costs about its tokens' compute, ~2.5
     * GFLOP a token at the Llama-3.2-1B shape, and 2 cores reach ~65 GFLOPS (BENCHMARKS: prefill ~27 tok/s), so 128
     * tokens bound a step, hence the running streams' inter-token latency, near 5 s there (~0.6 s on 16 cores), while
     * the weights' read of a step (~0.2 s, twice: the decode and the prefill forwards are separate) stays under a
     * tenth of it. 512, the old prefill chunk, gave a p99 inter-token latency of 18 s at 16 streams.
     */
    public static final int DEFAULT_MAX_NUM_BATCHED_TOKENS = 128, DEFAULT_BLOCK_SIZE = 16;
    /** KV memory when no block count is given: 2 GiB at most (vLLM sizes it from free GPU memory instead). */
    public static final long DEFAULT_KV_BYTES = 2L << 30;

    /**
     * blockSize: positions per KV block; kvBlocks: blocks in the KV pool, the bound on KV memory (0: see
     * {@link #poolBlocks}; sequences wait for blocks when they run short).
     */
    public EngineConfig {
        if (blockSize < 1) throw new IllegalArgumentException("block_size must be >= 1, got " + blockSize);
        if (kvBlocks < 0) throw new IllegalArgumentException("the number of KV blocks must be >= 0, got " + kvBlocks);
        if (maxNumBatchedTokens < 0) throw new IllegalArgumentException("max_num_batched_tokens must be >= 0, got " + maxNumBatchedTokens);
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1, got " + maxNumSeqs);
        // as vLLM's SchedulerConfig: a step must hold every running sequence's decode token, and then some prompt
        if (maxNumBatchedTokens > 0 && maxNumBatchedTokens < maxNumSeqs) {
            throw new IllegalArgumentException("max_num_batched_tokens (" + maxNumBatchedTokens + ") must be >= max_num_seqs (" + maxNumSeqs
                    + "): a step decodes one token of every running sequence");
        }
        if (maxWaiting < 0) throw new IllegalArgumentException("max_waiting_seqs must be >= 0, got " + maxWaiting);
        if (maxModelLen < 2) throw new IllegalArgumentException("max_model_len must be >= 2, got " + maxModelLen);
    }

    /** The KV pool in the model's dtype ("auto"). */
    public EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int maxNumBatchedTokens, int blockSize, int kvBlocks) {
        this(maxNumSeqs, maxWaiting, maxModelLen, maxNumBatchedTokens, blockSize, kvBlocks, null);
    }

    /**
     * Prompt tokens a step may prefill after decoding {@code decodes} running sequences: the budget they leave
     * (Integer.MAX_VALUE without a budget). Never negative; with decodes <= max_num_seqs and a prompt still to prefill
     * (so fewer than max_num_seqs decode) at least 1, since the constructor keeps the budget >= max_num_seqs.
     */
    public int prefillBudget(int decodes) {
        return maxNumBatchedTokens == 0 ? Integer.MAX_VALUE : Math.max(0, maxNumBatchedTokens - decodes);
    }

    /** {@link #poolBlocks(long, long)} with no other state in the budget. */
    public int poolBlocks(long bytesPerBlock) { return poolBlocks(bytesPerBlock, 0); }

    /**
     * Blocks of the pool for blocks of {@code bytesPerBlock} (2 × layers × kv heads × head dim × blockSize × the pool
     * dtype's size: KvBlockPool.bytesPerBlock): kvBlocks when given, else enough for maxNumSeqs sequences of maxModelLen
     * but no more than {@link #DEFAULT_KV_BYTES} together with {@code stateBytes}, the recurrent-state slots of a hybrid
     * model's linear-attention layers (Qwen3-Next: one per admitted sequence), which vLLM also allocates from the KV
     * cache's memory.
     */
    public int poolBlocks(long bytesPerBlock, long stateBytes) {
        if (kvBlocks > 0) return kvBlocks;
        long full = (long) maxNumSeqs * ((maxModelLen + blockSize - 1) / blockSize);
        if (bytesPerBlock <= 0) return (int) Math.max(1, full);
        long left = DEFAULT_KV_BYTES - stateBytes;
        if (left < bytesPerBlock) {
            throw new IllegalArgumentException("the recurrent state of max_num_seqs (" + maxNumSeqs + ") sequences takes " + stateBytes
                    + " bytes, leaving no KV block of the " + DEFAULT_KV_BYTES + "-byte default budget: lower --max_num_seqs or give --kv_cache_blocks");
        }
        return (int) Math.max(1, Math.min(full, left / bytesPerBlock));
    }

    /** --kv_cache_dtype as vLLM spells its choices: auto (null: the model's dtype), bfloat16, float16, float32. */
    public static DType kvCacheDtype(String name) {
        return switch (name) {
            case "auto" -> null;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            case "float32" -> DType.F32;
            default -> throw new IllegalArgumentException("--kv_cache_dtype " + name + ": expected auto, bfloat16, float16 or float32"
                    + (name.startsWith("fp8") ? " (fp8 KV caches are not supported)" : ""));
        };
    }

    /** Default blocks of {@link #DEFAULT_BLOCK_SIZE} positions, as many as {@link #poolBlocks} allows. */
    public EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int maxNumBatchedTokens) {
        this(maxNumSeqs, maxWaiting, maxModelLen, maxNumBatchedTokens, DEFAULT_BLOCK_SIZE, 0, null);
    }
}
