package io.jswift.train.encode;

import io.jswift.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TruncationPackingTest {
    private static Encoded row(int from, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = from + i;
        return new Encoded(ids, ids.clone());
    }

    @Test
    void truncationDeletesKeepsTheTailOrKeepsTheHead() {
        Encoded r = row(10, 6); // 10..15
        assertSame(r, new Truncation(6, Truncation.Strategy.DELETE).apply(r).orElseThrow());
        assertTrue(new Truncation(5, Truncation.Strategy.DELETE).apply(r).isEmpty());
        Encoded left = new Truncation(4, Truncation.Strategy.LEFT).apply(r).orElseThrow();
        assertArrayEquals(new int[]{12, 13, 14, 15}, left.inputIds());
        assertArrayEquals(new int[]{-100, 13, 14, 15}, left.labels());
        Encoded right = new Truncation(4, Truncation.Strategy.RIGHT).apply(r).orElseThrow();
        assertArrayEquals(new int[]{10, 11, 12, 13}, right.inputIds());
        assertArrayEquals(new int[]{-100, 11, 12, 13}, right.labels());
        assertThrows(IllegalArgumentException.class, () -> Truncation.Strategy.parse("split"));
        assertEquals(Truncation.Strategy.LEFT, Truncation.Strategy.parse("left"));
    }

    /** Best-fit decreasing, written the slow obvious way (binpacking.to_constant_volume: argmax of the loads that fit). */
    private static List<List<Integer>> naiveBestFit(int[] lengths, int capacity) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> lengths[b] != lengths[a] ? lengths[b] - lengths[a] : a - b);
        List<List<Integer>> bins = new ArrayList<>();
        List<Integer> loads = new ArrayList<>();
        for (int i : order) {
            int best = -1;
            for (int b = 0; b < bins.size(); b++) {
                if (loads.get(b) + lengths[i] <= capacity && (best < 0 || loads.get(b) > loads.get(best))) best = b;
            }
            if (best < 0) {
                bins.add(new ArrayList<>());
                loads.add(0);
                best = bins.size() - 1;
            }
            bins.get(best).add(i);
            loads.set(best, loads.get(best) + lengths[i]);
        }
        return bins;
    }

    @Test
    void bestFitDecreasingMatchesTheObviousAlgorithm() {
        Random rng = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int capacity = 8 + rng.nextInt(60);
            int[] lengths = new int[1 + rng.nextInt(120)];
            for (int i = 0; i < lengths.length; i++) lengths[i] = 1 + rng.nextInt(capacity);
            int[][] bins = Packer.bestFitDecreasing(lengths, capacity);
            List<List<Integer>> expected = naiveBestFit(lengths, capacity);
            assertEquals(expected.size(), bins.length);
            boolean[] seen = new boolean[lengths.length];
            for (int b = 0; b < bins.length; b++) {
                assertEquals(expected.get(b), Arrays.stream(bins[b]).boxed().toList());
                int load = 0;
                for (int i : bins[b]) {
                    load += lengths[i];
                    assertTrue(!seen[i]);
                    seen[i] = true;
                }
                assertTrue(load <= capacity);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Packer.bestFitDecreasing(new int[]{3, 9}, 8));
    }

    @Test
    void packingRestartsPositionsAndMasksEachSamplesFirstLabel() {
        Encoded packed = Packer.pack(List.of(row(1, 3), row(7, 2)));
        assertArrayEquals(new int[]{1, 2, 3, 7, 8}, packed.inputIds());
        // the label at 7 would make token 3 (end of sample 1) predict sample 2's first token
        assertArrayEquals(new int[]{-100, 2, 3, -100, 8}, packed.labels());
        assertArrayEquals(new int[]{0, 1, 2, 0, 1}, packed.positionIds());
        assertArrayEquals(new int[]{1, 1, 1, 2, 2}, packed.segmentIds());
        assertEquals(3, packed.targets());
    }

    @Test
    void collatorPadsRightAndGivesPaddingItsOwnSegment() {
        Batch plain = Collator.collate(List.of(row(5, 3), row(9, 2)));
        assertArrayEquals(new long[]{5, 6, 7, 9, 10, 0}, plain.inputIds().toLongArray());
        assertArrayEquals(new long[]{5, 6, 7, 9, 10, -100}, plain.labels().toLongArray());
        assertEquals(DType.I64, plain.inputIds().dtype());
        assertNull(plain.positionIds());
        assertNull(plain.segmentIds());
        assertEquals(5, plain.tokens());
        assertEquals(3, plain.targets()); // 6, 7 and 10: labels after the shift
        assertNull(plain.decoderInput(true).positionIds());
        assertTrue(plain.decoderInput(true).checkpoint());

        Batch mixed = Collator.collate(List.of(Packer.pack(List.of(row(1, 2), row(3, 2))), row(8, 2)));
        assertArrayEquals(new long[]{1, 2, 3, 4, 8, 9, 0, 0}, mixed.inputIds().toLongArray());
        assertArrayEquals(new long[]{-100, 2, -100, 4, 8, 9, -100, -100}, mixed.labels().toLongArray());
        assertArrayEquals(new long[]{0, 1, 0, 1, 0, 1, 0, 1}, mixed.positionIds().toLongArray());
        assertArrayEquals(new long[]{1, 1, 2, 2, 1, 1, 0, 0}, mixed.segmentIds().toLongArray());
        assertEquals(3, mixed.targets());
        assertEquals(6, mixed.tokens());
    }
}
