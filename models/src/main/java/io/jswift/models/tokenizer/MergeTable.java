package io.jswift.models.tokenizer;

import java.util.Arrays;

/**
 * BPE merges as HF tokenizers' MergeMap: (left id, right id) → (rank, merged id), in an open-addressing table
 * keyed by the packed pair (no boxing: the hot loop of encoding looks pairs up here).
 */
final class MergeTable {
    private final long[] keys;
    private final int[] ranks, merged;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, -1L);
        ranks = new int[cap];
        merged = new int[cap];
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 29)) & mask;
        while (keys[i] != -1L && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    /** A later duplicate of a pair replaces the earlier one, as collecting HF's merges into a HashMap does. */
    void put(int left, int right, int rank, int mergedId) {
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == -1L) {
            if (++size > (mask + 1) * 3 / 4) throw new IllegalStateException("merge table sized for fewer merges");
            keys[i] = k;
        }
        ranks[i] = rank;
        merged[i] = mergedId;
    }

    /** The slot of the pair, or -1 when the pair does not merge. */
    int find(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == -1L ? -1 : i;
    }

    int rank(int slot) {
        return ranks[slot];
    }

    int merged(int slot) {
        return merged[slot];
    }
}
