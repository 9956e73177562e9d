package io.jswift.serve.engine;

import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.vision.PromptImages;

/** A sequence inside the engine: its generation state, its adapter, its own KV cache once prefilled, its listener and timings. */
final class RunningSequence implements SequenceHandle {
    final SequenceRequest request;
    final SequenceState state;
    final int adapter;        // index in the engine's adapters, -1: the base model
    final long submittedNanos;
    final long prefixNamespace; // the chain-hash seed of its prompt's prefix blocks: its adapter's, and its images' content
    PagedKvCache cache;       // null until the first prefill chunk
    int reservedBlocks;       // the most blocks it can ever hold: prompt + max new tokens
    int prefilled;            // prompt tokens in the cache
    PromptImages encoded;     // a prompt with images: its vision features and M-RoPE positions while its prefill runs, else null
    long lastTokenNanos;
    private volatile boolean cancelled;

    RunningSequence(SequenceRequest request, SequenceState state, int adapter, long prefixNamespace, long submittedNanos) {
        this.request = request;
        this.state = state;
        this.adapter = adapter;
        this.prefixNamespace = prefixNamespace;
        this.submittedNanos = submittedNanos;
    }

    @Override
    public void cancel() { cancelled = true; }

    boolean cancelled() { return cancelled; }
}
