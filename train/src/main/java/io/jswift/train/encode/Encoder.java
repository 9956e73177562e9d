package io.jswift.train.encode;

import io.jswift.train.data.LocatedSample;

/**
 * Turns one dataset row into a training sequence. A row that cannot be encoded fails with a
 * {@link io.jswift.train.data.DatasetException} naming {@code file:line} (counted and skipped under
 * --skip_bad_rows); a problem of the setup rather than of the row (e.g. no tokenizer) is an
 * IllegalArgumentException. Encoding is deterministic: the same row always gives the same ids.
 */
public interface Encoder {
    Encoded encode(LocatedSample row);
}
