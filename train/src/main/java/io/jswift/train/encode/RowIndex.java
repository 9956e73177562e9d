package io.jswift.train.encode;

import java.util.Arrays;

/**
 * Where rows lie in their dataset files, 20 bytes a row: byte offset and length (to re-read the row), line
 * (for error messages) and encoded length (for packing and token counts). This is all an
 * {@link EncodedDataset} keeps of a row; the row itself is read and encoded again when it is needed.
 */
final class RowIndex {
    private long[] offsets = new long[16];
    private int[] byteLengths = new int[16], lines = new int[16], tokens = new int[16];
    private int size;

    void add(long offset, int byteLength, long line, int tokenCount) {
        if (size == offsets.length) {
            int n = size * 2;
            offsets = Arrays.copyOf(offsets, n);
            byteLengths = Arrays.copyOf(byteLengths, n);
            lines = Arrays.copyOf(lines, n);
            tokens = Arrays.copyOf(tokens, n);
        }
        if (line > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 lines in a dataset file");
        offsets[size] = offset;
        byteLengths[size] = byteLength;
        lines[size] = (int) line;
        tokens[size] = tokenCount;
        size++;
    }

    int size() { return size; }

    long offset(int i) { return offsets[i]; }

    int byteLength(int i) { return byteLengths[i]; }

    long line(int i) { return lines[i]; }

    int tokens(int i) { return tokens[i]; }

    /** Drops the spare capacity once the index is complete. */
    void trim() {
        offsets = Arrays.copyOf(offsets, size);
        byteLengths = Arrays.copyOf(byteLengths, size);
        lines = Arrays.copyOf(lines, size);
        tokens = Arrays.copyOf(tokens, size);
    }
}
