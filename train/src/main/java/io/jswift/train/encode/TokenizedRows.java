package io.jswift.train.encode;

import io.jswift.train.data.Sample;

/** Pre-tokenized rows ({@code input_ids}, optional {@code labels}) pass through every encoder unchanged. */
final class TokenizedRows {
    private TokenizedRows() {}

    /** The row's ids and labels; without labels every token is a target (ms-swift / HF: labels = input_ids). */
    static Encoded encode(Sample.Tokenized t) {
        int[] ids = t.inputIds().clone();
        int[] labels = t.labels() == null ? ids.clone() : t.labels().clone();
        return new Encoded(ids, labels);
    }
}
