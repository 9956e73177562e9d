package io.jswift.train.pref;

import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.util.ArrayList;
import java.util.List;

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

    /** [chosen rows..., rejected rows...] right-padded into one batch of 2B sequences (TRL's concatenated batch). */
    public static Batch collate(List<PreferencePair> rows) {
        List<Encoded> sequences = new ArrayList<>(2 * rows.size());
        for (PreferencePair p : rows) sequences.add(p.chosen());
        for (PreferencePair p : rows) sequences.add(p.rejected());
        return Collator.collate(sequences);
    }
}
