package io.jswift.serve.engine;

/** What the scheduler reports for metrics (times in nanoseconds). */
public interface EngineObserver {
    void prefilled(int promptTokens);

    void tokenGenerated(long sinceSubmitNanos, long sincePreviousTokenNanos, boolean first);

    void sequenceEnded(boolean cancelled);

    /** A new sequence found {@code tokens} of its prompt in the KV pool's shared blocks. */
    default void prefixCacheHit(int tokens) {}

    /** The vision tower encoded the images of a prompt ({@code images} of them; once per request, its n choices share it). */
    default void imagesEncoded(int images) {}

    /**
     * One engine step ran: {@code decodeTokens} running sequences advanced by a token, {@code prefillTokens} prompt tokens
     * were prefilled (their sum is within max_num_batched_tokens).
     */
    default void stepScheduled(int decodeTokens, int prefillTokens) {}

    EngineObserver NONE = new EngineObserver() {
        @Override public void prefilled(int promptTokens) {}
        @Override public void tokenGenerated(long sinceSubmitNanos, long sincePreviousTokenNanos, boolean first) {}
        @Override public void sequenceEnded(boolean cancelled) {}
    };
}
