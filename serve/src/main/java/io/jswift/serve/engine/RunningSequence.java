package io.jswift.serve.engine;

import io.jswift.models.decoder.KvCache;
import io.jswift.models.generate.SequenceState;

/** A sequence inside the engine: its generation state, its own KV cache once prefilled, its listener and timings. */
final class RunningSequence implements SequenceHandle {
    final SequenceRequest request;
    final SequenceState state;
    final long submittedNanos;
    KvCache cache;            // null until the first prefill chunk
    int prefilled;            // prompt tokens in the cache
    long lastTokenNanos;
    private volatile boolean cancelled;

    RunningSequence(SequenceRequest request, SequenceState state, long submittedNanos) {
        this.request = request;
        this.state = state;
        this.submittedNanos = submittedNanos;
    }

    @Override
    public void cancel() { cancelled = true; }

    boolean cancelled() { return cancelled; }
}
