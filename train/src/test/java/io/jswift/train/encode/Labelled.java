package io.jswift.train.encode;

import io.jswift.models.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test views of an encoded row: its text, and the text of each run of labelled tokens. */
final class Labelled {
    private Labelled() {}

    static String text(Tokenizer tok, Encoded e) {
        return tok.decode(e.inputIds(), false);
    }

    /** The decoded text of every maximal run of positions whose label is not -100, in order. */
    static List<String> runs(Tokenizer tok, Encoded e) {
        List<String> out = new ArrayList<>();
        int[] labels = e.labels();
        for (int i = 0; i < labels.length; ) {
            if (labels[i] == Encoded.IGNORE) {
                i++;
                continue;
            }
            int j = i;
            while (j < labels.length && labels[j] != Encoded.IGNORE) j++;
            out.add(tok.decode(Arrays.copyOfRange(labels, i, j), false));
            i = j;
        }
        return out;
    }
}
