package io.jswift.train.pref;

import io.jswift.train.encode.Encoded;

/**
 * One preference example as two sequences, prompt + chosen and prompt + rejected, each with labels equal to its ids
 * on the completion and -100 on the prompt: TRL's (input_ids, completion_mask) pair of DataCollatorForPreference,
 * labels unshifted as {@link Encoded} keeps them.
 */
public record PreferencePair(Encoded chosen, Encoded rejected) {
    public PreferencePair {
        if (chosen.isPacked() || rejected.isPacked()) throw new IllegalArgumentException("preference sequences are not packed");
    }

    public long tokens() { return chosen.length() + rejected.length(); }
}
