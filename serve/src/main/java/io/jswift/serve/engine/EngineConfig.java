package io.jswift.serve.engine;

/**
 * Limits of the serving engine. maxNumSeqs: sequences decoded together in one batch (vLLM's --max-num-seqs);
 * maxWaiting: sequences queued beyond those (a request that does not fit gets HTTP 429); maxModelLen: prompt +
 * generated tokens of one sequence.
 */
public record EngineConfig(int maxNumSeqs, int maxWaiting, int maxModelLen) {
    public EngineConfig {
        if (maxNumSeqs < 1) throw new IllegalArgumentException("max_num_seqs must be >= 1, got " + maxNumSeqs);
        if (maxWaiting < 0) throw new IllegalArgumentException("max_waiting_seqs must be >= 0, got " + maxWaiting);
        if (maxModelLen < 2) throw new IllegalArgumentException("max_model_len must be >= 2, got " + maxModelLen);
    }
}
