package io.jswift.serve.engine;

/** The next {@code tokens} prompt tokens of {@code seq} (from its {@code prefilled} on), planned into one engine step. */
record PromptChunk(RunningSequence seq, int tokens) {
    PromptChunk {
        if (tokens < 1) throw new IllegalArgumentException("a prompt chunk of " + tokens + " tokens");
    }

    /** Whether the chunk puts the prompt's last token in: its last row's logits give the first new token. */
    boolean completesPrompt() { return seq.prefilled + tokens == seq.request.prompt().length; }
}
