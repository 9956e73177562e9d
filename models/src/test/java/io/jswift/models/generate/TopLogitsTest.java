package io.jswift.models.generate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TopLogitsTest {
    /** Values on a coarse grid (ties), signed zeros, infinities and NaN. */
    private static float[] row(Random r, int n) {
        float[] x = new float[n];
        float[] specials = {-0.0f, 0.0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, Float.MIN_VALUE, -Float.MAX_VALUE};
        for (int i = 0; i < n; i++) {
            x[i] = r.nextDouble() < 0.1 ? specials[r.nextInt(specials.length)] : Math.round(r.nextGaussian() * 6) / 2f;
        }
        return x;
    }

    @Test
    void kthLargestIsTheSortedArraysEntry() {
        Random r = new Random(3);
        for (int n : new int[]{1, 2, 3, 17, 256, 5000}) {
            for (int trial = 0; trial < 20; trial++) {
                float[] x = row(r, n);
                float[] sorted = x.clone();
                Arrays.sort(sorted);
                for (int k : new int[]{1, 2, n / 2 + 1, n - 1, n}) {
                    if (k < 1 || k > n) continue;
                    // compare bits: -0.0 and 0.0 (and NaN) must be told apart as Arrays.sort does
                    assertEquals(Float.floatToIntBits(sorted[n - k]), Float.floatToIntBits(TopLogits.kthLargest(x, k)), "n " + n + " k " + k);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> TopLogits.kthLargest(new float[3], 4));
        assertThrows(IllegalArgumentException.class, () -> TopLogits.kthLargest(new float[3], 0));
    }

    @Test
    void largestIdsAreAStableDescendingSortTruncated() {
        Random r = new Random(4);
        for (int n : new int[]{1, 5, 64, 3000}) {
            for (int trial = 0; trial < 20; trial++) {
                float[] x = row(r, n);
                Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
                Arrays.sort(order, Comparator.comparing((Integer i) -> x[i], Float::compare).reversed()); // stable
                for (int k : new int[]{0, 1, 5, n}) {
                    if (k > n) continue;
                    int[] expected = Arrays.stream(order, 0, k).mapToInt(Integer::intValue).toArray();
                    assertArrayEquals(expected, TopLogits.largestIds(x, k), "n " + n + " k " + k);
                }
            }
        }
    }

    @Test
    void keysOrderAsFloatCompare() {
        float[] v = {Float.NEGATIVE_INFINITY, -Float.MAX_VALUE, -1f, -Float.MIN_VALUE, -0.0f, 0.0f, Float.MIN_VALUE, 1f,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NaN};
        for (int i = 0; i + 1 < v.length; i++) {
            assertEquals(-1, Integer.signum(Integer.compare(TopLogits.key(v[i]), TopLogits.key(v[i + 1]))), v[i] + " < " + v[i + 1]);
        }
        assertEquals(TopLogits.key(Float.NaN), TopLogits.key(Float.intBitsToFloat(0xffc00001))); // every NaN the same
    }
}
