package io.jswift.train.pref;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Encoded;

import java.util.List;

/**
 * What a preference objective reads from the model besides each sequence's completion tokens, and how a micro-batch
 * of B pairs becomes {@link ScoredTokens} in either layout: TRL's padded batch of 2B rows, chosen then rejected
 * ({@link #twoRows}), or one shared-prefix row per pair ({@link SharedPrefixRows}). Both layouts score the same
 * tokens in the same order through this class, so the objectives see the same sums whichever layout ran.
 *
 * @param chosenPrompts   also score each chosen sequence's non-completion tokens (its prompt) as sequence 2B + i, so
 *                        that sums[i] + sums[2B + i] is ORPO's NLL over the whole chosen sequence
 * @param meanLogitsDrop  null: no position map; k: map the first T - k positions of each of the 2B sequences in TRL's
 *                        padded batch of width T (padding included) for the mean logit CPO (k = 0) and ORPO (k = 1)
 *                        log as logits/chosen and logits/rejected
 */
public record PairTargets(boolean chosenPrompts, Integer meanLogitsDrop) {
    /** The segment of a two-row sequence's real tokens when its padding is masked (not 0: no shared prefix). */
    private static final int SEQUENCE = 1;
    /** DPO: the completion tokens only. */
    public static final PairTargets COMPLETIONS = new PairTargets(false, null);
    /** CPO / SimPO: completions and the mean logit over the whole padded batch. */
    public static final PairTargets CPO = new PairTargets(false, 0);
    /** ORPO: completions, chosen prompts and the mean logit over all positions but the last. */
    public static final PairTargets ORPO = new PairTargets(true, 1);

    /** The flat hidden row ([rows·width] of the model input) holding position j of sequence s (chosen i = i, rejected i = B + i). */
    interface RowIndex {
        long row(int sequence, int position);
    }

    /**
     * The pairs as one shared-prefix row each when {@code shared} (a model that takes shared-prefix inputs), else as
     * TRL's two rows with plain causal attention.
     */
    public ScoredTokens collate(List<PreferencePair> pairs, boolean shared) {
        return shared ? SharedPrefixRows.collate(pairs, this) : twoRows(pairs, false);
    }

    /**
     * TRL's concatenated batch: [chosen rows..., rejected rows...] right-padded to the longest sequence. With
     * {@code maskPadding} (a shared-prefix input, so only for a model that takes one) each padding position attends
     * only its row's real tokens, as transformers' attention_mask has it (the padding keys masked); without, it also
     * attends the padding before it — the same log-probs, loss and gradients, but other logits at the padding
     * positions, which only the mean logits ({@link #meanLogitsDrop}) read.
     */
    public ScoredTokens twoRows(List<PreferencePair> pairs, boolean maskPadding) {
        Batch batch = PreferencePair.collate(pairs);
        int t = batch.width();
        DecoderInput input = maskPadding ? paddingMasked(batch, pairs) : batch.decoderInput(false);
        return score(input, pairs, (s, j) -> (long) s * t + j, t);
    }

    /** The two-row batch's input with positions 0..T-1 and its padding in segment -1 - 1 ({@link AttentionSpec#segmentSees}). */
    private static DecoderInput paddingMasked(Batch batch, List<PreferencePair> pairs) {
        int b = pairs.size(), t = batch.width();
        long[] positions = new long[2 * b * t];
        int[] segments = new int[2 * b * t];
        for (int s = 0; s < 2 * b; s++) {
            int length = s < b ? pairs.get(s).chosen().length() : pairs.get(s - b).rejected().length();
            for (int j = 0; j < t; j++) {
                positions[s * t + j] = j;
                segments[s * t + j] = j < length ? SEQUENCE : -1 - SEQUENCE;
            }
        }
        return new DecoderInput(batch.inputIds(), Tensor.ofLongs(positions, 2 * b, t), Tensor.ofInts(segments, 2 * b, t), null, false, null, true);
    }

    /** The width T of TRL's padded batch: the longest of the 2B sequences. */
    static int paddedWidth(List<PreferencePair> pairs) {
        int t = 0;
        for (PreferencePair p : pairs) t = Math.max(t, Math.max(p.chosen().length(), p.rejected().length()));
        return t;
    }

    /** Positions of each sequence the position map needs in a padded batch of width t (t - drop), or 0. */
    int keptPositions(int t) {
        if (meanLogitsDrop == null) return 0;
        int kept = t - meanLogitsDrop;
        if (kept < 1) throw new IllegalArgumentException("no position left for the mean logit");
        return kept;
    }

    /**
     * The scored tokens of the pairs laid out by {@code at}: completion token j ≥ 1 of each sequence (labels[j] !=
     * -100), predicted from position j - 1; chosen sequences first, then rejected ones (TRL's order), then the chosen
     * prompts when asked for; and the position map of width {@code paddedWidth} when asked for.
     */
    ScoredTokens score(DecoderInput input, List<PreferencePair> pairs, RowIndex at, int paddedWidth) {
        int b = pairs.size(), n = 0;
        long tokens = 0;
        for (PreferencePair p : pairs) {
            n += count(p.chosen(), false) + count(p.rejected(), false) + (chosenPrompts ? count(p.chosen(), true) : 0);
            tokens += p.tokens();
        }
        long[] rows = new long[n], targets = new long[n];
        int[] sequence = new int[n];
        int k = 0;
        for (int i = 0; i < b; i++) k = add(pairs.get(i).chosen(), i, i, false, at, rows, targets, sequence, k);
        for (int i = 0; i < b; i++) k = add(pairs.get(i).rejected(), b + i, b + i, false, at, rows, targets, sequence, k);
        if (chosenPrompts) for (int i = 0; i < b; i++) k = add(pairs.get(i).chosen(), i, 2 * b + i, true, at, rows, targets, sequence, k);
        ScoredTokens.Positions positions = null;
        if (meanLogitsDrop != null) {
            int kept = keptPositions(paddedWidth);
            long[] map = new long[2 * b * kept];
            for (int s = 0; s < 2 * b; s++) for (int j = 0; j < kept; j++) map[s * kept + j] = at.row(s, j);
            positions = new ScoredTokens.Positions(2 * b, kept, map);
        }
        return new ScoredTokens(input, rows, targets, sequence, (chosenPrompts ? 3 : 2) * b, tokens, positions);
    }

    /** Tokens j ≥ 1 of e that are completion tokens (labels[j] != -100), or with {@code prompt} the others. */
    private static int count(Encoded e, boolean prompt) {
        int n = 0;
        for (int j = 1; j < e.length(); j++) if ((e.labels()[j] == Encoded.IGNORE) == prompt) n++;
        return n;
    }

    private static int add(Encoded e, int s, int group, boolean prompt, RowIndex at, long[] rows, long[] targets, int[] sequence, int k) {
        int[] labels = e.labels(), ids = e.inputIds();
        for (int j = 1; j < e.length(); j++) {
            if ((labels[j] == Encoded.IGNORE) != prompt) continue;
            rows[k] = at.row(s, j - 1);
            targets[k] = prompt ? ids[j] : labels[j];
            sequence[k++] = group;
        }
        return k;
    }
}
