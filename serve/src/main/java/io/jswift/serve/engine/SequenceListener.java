package io.jswift.serve.engine;

import io.jswift.models.generate.SequenceState;

/**
 * Receives what the scheduler produces for one sequence. Called on the scheduler thread: implementations hand the
 * event over (a queue) and return at once; they never block on the network.
 */
public interface SequenceListener {
    /** One sampled token (its text, logprobs, and the finish reason when it ended the sequence). */
    void onStep(SequenceState.Step step);

    /** The engine could not run the sequence (the message says why); no further events follow. */
    void onFailure(RuntimeException error);

    /** The sequence left the engine after {@link SequenceHandle#cancel()}; no further events follow. */
    void onCancelled();
}
