package io.jswift.serve.engine;

/** The submitter's side of a sequence: cancelling frees its batch slot before the scheduler's next step. */
public interface SequenceHandle {
    void cancel();
}
