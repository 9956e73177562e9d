package io.jswift.train.run;

import io.jswift.train.encode.EncodedDataset;

import java.util.Locale;

/** The line a run prints about what loading kept and dropped of its dataset. */
public final class DatasetReport {
    private DatasetReport() {}

    public static String line(EncodedDataset.Counts c, boolean packed, int maxLength) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "dataset: %d samples, %d tokens", c.samples(), c.tokens()));
        if (packed) line.append(String.format(Locale.ROOT, ", packed into %d rows of up to %d tokens", c.rows(), maxLength));
        if (c.badRows() > 0) line.append(String.format(Locale.ROOT, "; skipped %d bad rows (--skip_bad_rows)", c.badRows()));
        if (c.deletedRows() > 0) line.append(String.format(Locale.ROOT, "; dropped %d rows longer than --max_length %d", c.deletedRows(), maxLength));
        if (c.truncatedRows() > 0) line.append(String.format(Locale.ROOT, "; truncated %d rows to --max_length %d", c.truncatedRows(), maxLength));
        if (c.noTargetRows() > 0) line.append(String.format(Locale.ROOT, "; dropped %d rows without any trained token", c.noTargetRows()));
        return line.toString();
    }
}
