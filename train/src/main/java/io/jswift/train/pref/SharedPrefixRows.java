package io.jswift.train.pref;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.train.encode.Collator;

import java.util.List;

/**
 * Preference pairs as one row each, [shared prefix | chosen tail | rejected tail | chosen padding | rejected padding |
 * row padding], instead of TRL's two rows [prompt + chosen] and [prompt + rejected]: the prefix (the tokens both
 * sequences begin with — the prompt, and any leading tokens the replies have in common) is computed once. Segments
 * 0 (prefix), 1 (chosen), 2 (rejected), 3 (row padding) with a shared prefix ({@link DecoderInput#sharedPrefix()}):
 * each tail attends the prefix and itself; positions restart after the prefix for the rejected tail. With causal
 * attention every hidden state equals the one of its unshared sequence, so the log-probs, the loss and its gradients
 * are TRL's (up to float rounding) for about (prompt + 2·reply) / (2·prompt + 2·reply) of the work. Tokens are scored
 * by {@link PairTargets} in TRL's order; token j of a sequence is predicted from the packed position of its token j - 1.
 * <p>
 * Only when the targets map the padded batch's positions (CPO's and ORPO's mean logit covers the padding of TRL's
 * batch) does each sequence get its padding positions up to that width: pad ids at the positions that follow it,
 * packed after both tails, in the padding segment of its own ({@code -1 - CHOSEN}, {@code -1 - REJECTED}:
 * {@link AttentionSpec#segmentSees}), so a padding position attends exactly what it attends in TRL's padded batch —
 * its sequence's real tokens, not the padding (transformers masks padding keys) — and nothing attends it.
 */
public final class SharedPrefixRows {
    static final int PREFIX = 0, CHOSEN = 1, REJECTED = 2, PADDING = 3;

    private SharedPrefixRows() {}

    /** DPO's rows: completion tokens only, no padding positions. */
    public static ScoredTokens collate(List<PreferencePair> pairs) {
        return collate(pairs, PairTargets.COMPLETIONS);
    }

    public static ScoredTokens collate(List<PreferencePair> pairs, PairTargets targets) {
        int b = pairs.size();
        if (b == 0) throw new IllegalArgumentException("cannot collate an empty batch");
        int kept = targets.keptPositions(PairTargets.paddedWidth(pairs));
        Row[] layout = new Row[b];
        int width = 0;
        for (int i = 0; i < b; i++) {
            layout[i] = Row.of(pairs.get(i), kept);
            width = Math.max(width, layout[i].used());
        }
        long[] ids = new long[b * width], positions = new long[b * width];
        int[] segments = new int[b * width];
        for (int i = 0; i < b; i++) {
            Row r = layout[i];
            int base = i * width;
            int[] chosen = pairs.get(i).chosen().inputIds(), rejected = pairs.get(i).rejected().inputIds();
            for (int j = 0; j < width; j++) {
                ids[base + j] = Collator.PAD_ID;
                segments[base + j] = PADDING;
                positions[base + j] = j - r.used(); // row padding counts from 0 after the used positions
            }
            for (int j = 0; j < r.chosenEnd(); j++) { // the prefix, the chosen tail and its padding at their own positions
                int at = r.chosen(j);
                ids[base + at] = j < r.nc() ? chosen[j] : Collator.PAD_ID;
                positions[base + at] = j;
                segments[base + at] = j < r.np() ? PREFIX : j < r.nc() ? CHOSEN : -1 - CHOSEN;
            }
            for (int j = r.np(); j < r.rejectedEnd(); j++) { // the rejected tail and its padding, positioned after the prefix
                int at = r.rejected(j);
                ids[base + at] = j < r.nr() ? rejected[j] : Collator.PAD_ID;
                positions[base + at] = j;
                segments[base + at] = j < r.nr() ? REJECTED : -1 - REJECTED;
            }
        }
        DecoderInput input = new DecoderInput(Tensor.ofLongs(ids, b, width), Tensor.ofLongs(positions, b, width),
                Tensor.ofInts(segments, b, width), null, false, null, true);
        int w = width;
        return targets.score(input, pairs, (s, j) -> (long) (s % b) * w + (s < b ? layout[s].chosen(j) : layout[s - b].rejected(j)),
                PairTargets.paddedWidth(pairs));
    }

    /**
     * One pair's row: prefix length np, sequence lengths nc and nr, and the padding positions each sequence gets
     * (pc, pr: up to the kept width of the padded batch).
     */
    private record Row(int np, int nc, int nr, int pc, int pr) {
        static Row of(PreferencePair p, int kept) {
            int nc = p.chosen().length(), nr = p.rejected().length();
            return new Row(commonPrefix(p.chosen().inputIds(), p.rejected().inputIds()), nc, nr, Math.max(0, kept - nc), Math.max(0, kept - nr));
        }

        int chosenEnd() { return nc + pc; }

        int rejectedEnd() { return nr + pr; }

        int used() { return nc + nr - np + pc + pr; }

        /** Packed index of the chosen sequence's position j: itself, or for its padding after both tails. */
        int chosen(int j) {
            return j < nc ? j : nc + nr - np + (j - nc);
        }

        /** Packed index of the rejected sequence's position j: the prefix, then behind the chosen tail, its padding last. */
        int rejected(int j) {
            if (j < np) return j;
            return j < nr ? nc + (j - np) : nc + nr - np + pc + (j - nr);
        }
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
