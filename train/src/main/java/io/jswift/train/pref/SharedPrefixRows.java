package io.jswift.train.pref;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.Tensor;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.util.List;

/**
 * Preference pairs as one row each, [shared prefix | chosen tail | rejected tail | padding], instead of TRL's two rows
 * [prompt + chosen] and [prompt + rejected]: the prefix (the tokens both sequences begin with — the prompt, and any
 * leading tokens the replies have in common) is computed once. Segments 0 (prefix), 1 (chosen), 2 (rejected), 3
 * (padding) with a shared prefix ({@link DecoderInput#sharedPrefix()}): each tail attends the prefix and itself;
 * positions restart after the prefix for the rejected tail. With causal attention every hidden state equals the one
 * of its unshared sequence, so the log-probs, the loss and its gradients are TRL's (up to float rounding) for about
 * (prompt + 2·reply) / (2·prompt + 2·reply) of the work. Tokens are scored in TRL's order, chosen sequences then
 * rejected ones; token j of a sequence is predicted from the packed position of its token j - 1.
 */
public final class SharedPrefixRows {
    static final int PREFIX = 0, CHOSEN = 1, REJECTED = 2, PADDING = 3;

    private SharedPrefixRows() {}

    public static ScoredTokens collate(List<PreferencePair> pairs) {
        int b = pairs.size(), width = 0, n = 0;
        if (b == 0) throw new IllegalArgumentException("cannot collate an empty batch");
        int[] prefix = new int[b];
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            prefix[i] = commonPrefix(p.chosen().inputIds(), p.rejected().inputIds());
            width = Math.max(width, p.chosen().length() + p.rejected().length() - prefix[i]);
            n += scored(p.chosen()) + scored(p.rejected());
            tokens += p.tokens();
        }
        long[] ids = new long[b * width], positions = new long[b * width];
        int[] segments = new int[b * width];
        long[] rows = new long[n], targets = new long[n];
        int[] sequence = new int[n];
        int k = 0;
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            int base = i * width, np = prefix[i], nc = p.chosen().length(), nr = p.rejected().length();
            int[] chosen = p.chosen().inputIds(), rejected = p.rejected().inputIds();
            for (int j = 0; j < width; j++) {
                ids[base + j] = Collator.PAD_ID;
                segments[base + j] = PADDING;
                positions[base + j] = j - (nc + nr - np); // padding counts from 0 after the used positions
            }
            for (int j = 0; j < nc; j++) { // the prefix and the chosen tail at their own positions
                ids[base + j] = chosen[j];
                positions[base + j] = j;
                segments[base + j] = j < np ? PREFIX : CHOSEN;
            }
            for (int j = np; j < nr; j++) { // the rejected tail after the chosen one, positioned after the prefix
                int at = packedRejected(j, np, nc);
                ids[base + at] = rejected[j];
                positions[base + at] = j;
                segments[base + at] = REJECTED;
            }
        }
        for (int i = 0; i < b; i++) k = score(pairs.get(i).chosen(), i, i * width, prefix[i], -1, rows, targets, sequence, k);
        for (int i = 0; i < b; i++) {
            PreferencePair p = pairs.get(i);
            k = score(p.rejected(), b + i, i * width, prefix[i], p.chosen().length(), rows, targets, sequence, k);
        }
        DecoderInput input = new DecoderInput(Tensor.ofLongs(ids, b, width), Tensor.ofLongs(positions, b, width),
                Tensor.ofInts(segments, b, width), null, false, null, true);
        return new ScoredTokens(input, rows, targets, sequence, 2 * b, tokens);
    }

    /**
     * Token j of sequence {@code seq} (each completion token, j ≥ 1) scored from its token j - 1: in the prefix and the
     * chosen tail the packed index is j - 1 itself; for the rejected sequence ({@code chosenLength} ≥ 0) past the
     * prefix it is behind the chosen tail.
     */
    private static int score(Encoded e, int seq, int base, int prefix, int chosenLength, long[] rows, long[] targets, int[] sequence, int k) {
        int[] labels = e.labels();
        for (int j = 1; j < e.length(); j++) {
            if (labels[j] == Encoded.IGNORE) continue;
            int from = j - 1;
            rows[k] = base + (chosenLength < 0 || from < prefix ? from : packedRejected(from, prefix, chosenLength));
            targets[k] = labels[j];
            sequence[k++] = seq;
        }
        return k;
    }

    /** The packed index of the rejected sequence's token j ≥ prefix: after the prefix and the chosen tail. */
    private static int packedRejected(int j, int prefix, int chosenLength) {
        return chosenLength + (j - prefix);
    }

    /** Completion tokens that are scored (labels != -100 at positions ≥ 1). */
    private static int scored(Encoded e) {
        int n = 0;
        for (int j = 1; j < e.length(); j++) if (e.labels()[j] != Encoded.IGNORE) n++;
        return n;
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
