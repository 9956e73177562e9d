package io.jswift.models.generate;

import java.util.Arrays;

/**
 * The k largest entries of a row of logits without sorting the row: one pass with a k-entry min-heap, O(V log k)
 * at worst and O(V) in practice (an entry enters the heap only when it beats the k-th best so far). Over a
 * 152K-token vocabulary this is what makes sampling with top-k (and top logprobs) cheap next to the decode step,
 * where a full sort of the row cost about as much as the step's GEMMs (session 23 profile of GRPO generation).
 *
 * <p>Order is {@link Float#compare}'s, the order {@code Arrays.sort(float[])} sorts in (-0.0 before 0.0, NaN
 * largest): {@link #kthLargest} is exactly {@code sorted[length - k]}.
 */
final class TopLogits {
    private TopLogits() {}

    /** The k-th largest value of {@code x} (1 ≤ k ≤ length) counting repeats, as {@code sorted[x.length - k]}. */
    static float kthLargest(float[] x, int k) {
        if (k < 1 || k > x.length) throw new IllegalArgumentException("k must be in [1, " + x.length + "], got " + k);
        // heap of sortable keys (see key()), smallest at the root
        int[] heap = new int[k];
        for (int i = 0; i < k; i++) heap[i] = key(x[i]);
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(heap, i);
        int min = heap[0];
        for (int i = k; i < x.length; i++) {
            int key = key(x[i]);
            if (key <= min) continue;
            heap[0] = key;
            siftDown(heap, 0);
            min = heap[0];
        }
        return value(min);
    }

    /**
     * The ids of the {@code k} largest logits, largest first, equal logits the lower id first (a stable sort of the
     * ids by descending logit, truncated to k).
     */
    static int[] largestIds(float[] logits, int k) {
        if (k == 0) return new int[0];
        float kth = kthLargest(logits, k);
        int kthKey = key(kth);
        // every id at or above the k-th value, as (descending key, ascending id) in one sortable long each
        long[] keys = new long[k];
        int n = 0;
        for (int id = 0; id < logits.length; id++) {
            int key = key(logits[id]);
            if (key < kthKey) continue;
            if (n == keys.length) keys = Arrays.copyOf(keys, keys.length * 2); // ties with the k-th value
            keys[n++] = ((long) ~key << 32) | id;
        }
        Arrays.sort(keys, 0, n);
        int[] ids = new int[k];
        for (int i = 0; i < k; i++) ids[i] = (int) keys[i];
        return ids;
    }

    /**
     * An int whose signed order is {@link Float#compare}'s: the bits of non-negative floats as they are, those of
     * negative ones with the magnitude bits flipped (NaN canonicalized, so every NaN is the largest key).
     */
    static int key(float v) {
        int bits = Float.floatToIntBits(v);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    private static float value(int key) {
        return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
    }

    private static void siftDown(int[] heap, int i) {
        int n = heap.length, v = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= v) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = v;
    }
}
