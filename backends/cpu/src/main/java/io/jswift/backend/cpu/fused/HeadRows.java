package io.jswift.backend.cpu.fused;

import io.jswift.tensor.Tensor;

/**
 * Where key (or value) j of one (batch, kv head) starts, in elements: rows of D floats, {@code blockSize} of them
 * contiguous from each of {@code blockStarts}, key j being row {@code first + j} (a window skips the first ones).
 * A contiguous head is one block; a paged KV cache's head is one start per entry of the row's block table, so the
 * attention kernels read the blocks in place (vLLM's paged attention) instead of a gathered copy.
 */
record HeadRows(long[] blockStarts, int blockSize, int first, int d) {
    static HeadRows contiguous(long start, int d) {
        return new HeadRows(new long[]{start}, Integer.MAX_VALUE, 0, d);
    }

    /** Head {@code kvHead} of the blocks [N, Hkv, blockSize, D] (rows contiguous per head) named by {@code table}. */
    static HeadRows paged(Tensor blocks, int[] table, int kvHead, int blockSize, int first) {
        long[] starts = new long[table.length];
        for (int i = 0; i < table.length; i++) starts[i] = blocks.offset() + (long) table[i] * blocks.stride(0) + (long) kvHead * blocks.stride(1);
        return new HeadRows(starts, blockSize, first, blocks.size(3));
    }

    /** The start of each of the first s rows (one pass, no division per row: the loops index this array). */
    long[] rows(int s) {
        long[] r = new long[s];
        int block = first / blockSize, slot = first % blockSize;
        for (int j = 0; j < s; j++) {
            r[j] = blockStarts[block] + (long) slot * d;
            if (++slot == blockSize) {
                slot = 0;
                block++;
            }
        }
        return r;
    }
}
