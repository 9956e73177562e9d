package io.jswift.serve.engine;

import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.generate.SequenceState;

/** A sequence inside the engine: its generation state, its adapter, its own KV cache once prefilled, its listener and timings. */
final class RunningSequence implements SequenceHandle {
    final SequenceRequest request;
    final SequenceState state;
    final int adapter;        // index in the engine's adapters, -1: the base model
    final long submittedNanos;
    PagedKvCache cache;       // null until the first prefill chunk
    int reservedBlocks;       // the most blocks it can ever hold: prompt + max new tokens
    int prefilled;            // prompt tokens in the cache
    long lastTokenNanos;
    private volatile boolean cancelled;

    RunningSequence(SequenceRequest request, SequenceState state, int adapter, long submittedNanos) {
        this.request = request;
        this.state = state;
        this.adapter = adapter;
        this.submittedNanos = submittedNanos;
    }

    @Override
    public void cancel() { cancelled = true; }

    boolean cancelled() { return cancelled; }
}
