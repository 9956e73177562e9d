package io.jswift.backend.gpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** index_add's host-side plan: source rows grouped by target, each group in row order (the CPU's order of additions). */
class IndexingPlanTest {
    @Test
    void groupByTargetKeepsRowOrder() {
        long[] plan = Indexing.groupByTarget(new long[]{4, 1, 4, 0, 1, 4});
        // targets 0, 1, 4; starts 0, 1, 3, 6; rows
        assertArrayEquals(new long[]{0, 1, 4, 0, 1, 3, 6, 3, 1, 4, 0, 2, 5}, plan);
    }
}
