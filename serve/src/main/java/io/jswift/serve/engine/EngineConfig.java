package io.jswift.serve.engine;

/**
 * Limits of the serving engine. maxNumSeqs: sequences decoded together in one batch (vLLM's --max-num-seqs);
 * maxWaiting: sequences queued beyond those (a request that does not fit gets HTTP 429); maxModelLen: prompt +
 * generated tokens of one sequence; prefillChunk: prompt tokens prefilled between two decode steps (chunked
 * prefill, so that a long prompt delays the running streams by one chunk's forward per step, not by its whole
 * prefill; 0: whole prompts).
 */
public record EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int prefillChunk, int blockSize, int kvBlocks) {
    public static final int DEFAULT_PREFILL_CHUNK = 512, DEFAULT_BLOCK_SIZE = 16;

    /**
     * blockSize: positions per KV block; kvBlocks: blocks in the KV pool, the bound on KV memory (0: enough for
     * maxNumSeqs sequences of maxModelLen; with fewer, sequences wait for blocks). Each block holds
     * 2 × layers × kv heads × head dim × blockSize floats.
     */
    public EngineConfig {
        if (blockSize < 1) throw new IllegalArgumentException("block_size must be >= 1, got " + blockSize);
        if (kvBlocks < 0) throw new IllegalArgumentException("the number of KV blocks must be >= 0, got " + kvBlocks);
        if (kvBlocks == 0) kvBlocks = maxNumSeqs * ((maxModelLen + blockSize - 1) / blockSize);
        if (prefillChunk < 0) throw new IllegalArgumentException("the prefill chunk must be >= 0 tokens, got " + prefillChunk);
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1, got " + maxNumSeqs);
        if (maxWaiting < 0) throw new IllegalArgumentException("max_waiting_seqs must be >= 0, got " + maxWaiting);
        if (maxModelLen < 2) throw new IllegalArgumentException("max_model_len must be >= 2, got " + maxModelLen);
    }

    /** Default blocks of {@link #DEFAULT_BLOCK_SIZE} positions, enough for maxNumSeqs full-length sequences. */
    public EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen, int prefillChunk) {
        this(maxNumSeqs, maxWaiting, maxModelLen, prefillChunk, DEFAULT_BLOCK_SIZE, 0);
    }
}
