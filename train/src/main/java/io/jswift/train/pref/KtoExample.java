package io.jswift.train.pref;

import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One KTO example: prompt + completion as one sequence (labels -100 on the prompt, the ids on the completion) and
 * whether the completion is desirable (TRL's unpaired preference row: prompt_ids, completion_ids, label).
 *
 * @param promptLength tokens before the completion
 */
public record KtoExample(Encoded sequence, int promptLength, boolean desirable) {
    public KtoExample {
        if (sequence.isPacked()) throw new IllegalArgumentException("KTO sequences are not packed");
        if (promptLength < 0 || promptLength > sequence.length()) throw new IllegalArgumentException("prompt length " + promptLength + " of " + sequence.length());
    }

    /** The example of a sequence whose labels mark its completion: the prompt ends at the first label. */
    public static KtoExample of(Encoded sequence, boolean desirable) {
        int[] labels = sequence.labels();
        int p = 0;
        while (p < labels.length && labels[p] == Encoded.IGNORE) p++;
        return new KtoExample(sequence, p, desirable);
    }

    public long tokens() { return sequence.length(); }

    /** The rows right-padded into one batch, in order (TRL's DataCollatorForUnpairedPreference). */
    public static Batch collate(List<KtoExample> rows) {
        List<Encoded> sequences = new ArrayList<>(rows.size());
        for (KtoExample e : rows) sequences.add(e.sequence());
        return Collator.collate(sequences);
    }

    /**
     * TRL's mismatched KL pairs: example i's prompt with the completion of example i - 1 (the completions rotated by
     * one within the batch, as its _prepare_dataset does per batch), each cut to {@code maxLength} keeping the start
     * (its collator's full_ids[:max_length]).
     */
    public static Batch collateKl(List<KtoExample> rows, int maxLength) {
        int b = rows.size();
        List<Encoded> sequences = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            KtoExample own = rows.get(i), other = rows.get((i + b - 1) % b);
            int[] prompt = Arrays.copyOf(own.sequence().inputIds(), own.promptLength());
            int[] completion = Arrays.copyOfRange(other.sequence().inputIds(), other.promptLength(), other.sequence().length());
            int n = Math.min(maxLength, prompt.length + completion.length);
            int[] ids = new int[n], labels = new int[n];
            for (int j = 0; j < n; j++) {
                boolean inPrompt = j < prompt.length;
                ids[j] = inPrompt ? prompt[j] : completion[j - prompt.length];
                labels[j] = inPrompt ? Encoded.IGNORE : ids[j];
            }
            sequences.add(new Encoded(ids, labels));
        }
        return Collator.collate(sequences);
    }
}
