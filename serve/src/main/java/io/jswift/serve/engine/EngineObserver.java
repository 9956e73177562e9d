package io.jswift.serve.engine;

/** What the scheduler reports for metrics (times in nanoseconds). */
public interface EngineObserver {
    void prefilled(int promptTokens);

    void tokenGenerated(long sinceSubmitNanos, long sincePreviousTokenNanos, boolean first);

    void sequenceEnded(boolean cancelled);

    EngineObserver NONE = new EngineObserver() {
        @Override public void prefilled(int promptTokens) {}
        @Override public void tokenGenerated(long sinceSubmitNanos, long sincePreviousTokenNanos, boolean first) {}
        @Override public void sequenceEnded(boolean cancelled) {}
    };
}
