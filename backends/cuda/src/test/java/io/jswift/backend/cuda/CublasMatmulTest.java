package io.jswift.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which batch layouts cuBLAS's one batch stride can express (the rest take the portable GEMM). */
class CublasMatmulTest {
    @Test
    void contiguousBatchesFoldToTheInnermostStride() {
        assertEquals(12, CublasMatmul.folded(new int[]{2, 3}, new long[]{36, 12}));
        assertEquals(12, CublasMatmul.folded(new int[]{5}, new long[]{12}));
    }

    @Test
    void noBatchAndSizeOneDimsFoldToZeroOrAreSkipped() {
        assertEquals(0, CublasMatmul.folded(new int[]{}, new long[]{}));
        assertEquals(0, CublasMatmul.folded(new int[]{1, 1}, new long[]{99, 7}));
        // a size-1 dim in the middle may carry any stride
        assertEquals(12, CublasMatmul.folded(new int[]{2, 1, 3}, new long[]{36, 5, 12}));
    }

    @Test
    void aFullyBroadcastOperandFoldsToStrideZero() {
        assertEquals(0, CublasMatmul.folded(new int[]{2, 3}, new long[]{0, 0}));
    }

    @Test
    void batchesThatOneStrideCannotWalkDoNotFold() {
        assertEquals(CublasMatmul.NO_FOLD, CublasMatmul.folded(new int[]{2, 3}, new long[]{12, 24}));  // permuted
        assertEquals(CublasMatmul.NO_FOLD, CublasMatmul.folded(new int[]{2, 3}, new long[]{0, 12}));   // broadcast outer dim only
        assertEquals(CublasMatmul.NO_FOLD, CublasMatmul.folded(new int[]{2, 3}, new long[]{12, 0}));   // broadcast inner dim only
        assertEquals(CublasMatmul.NO_FOLD, CublasMatmul.folded(new int[]{3}, new long[]{-12}));       // negative stride
    }
}
