package io.jswift.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * GemmPlan's column-major call, run through a plain column-major GEMM with cuBLAS's argument semantics
 * (op, ld, batch strides), equals the row-major product for contiguous, transposed, padded and broadcast layouts.
 */
class GemmPlanTest {
    private final Random rnd = new Random(20);

    /** cublasGemmStridedBatchedEx's definition: C = op(A)·op(B) + beta·C, column-major, per batch. */
    private static void cublasReference(GemmPlan p, float[] a, float[] b, float[] c, boolean accumulate) {
        for (int bt = 0; bt < p.batch(); bt++) {
            for (int i = 0; i < p.m(); i++) {
                for (int j = 0; j < p.n(); j++) {
                    double s = 0;
                    for (int l = 0; l < p.k(); l++) {
                        float x = p.transa() == GemmPlan.OP_N ? a[(int) (bt * p.strideA() + i + l * p.lda())] : a[(int) (bt * p.strideA() + l + i * p.lda())];
                        float y = p.transb() == GemmPlan.OP_N ? b[(int) (bt * p.strideB() + l + j * p.ldb())] : b[(int) (bt * p.strideB() + j + l * p.ldb())];
                        s += (double) x * y;
                    }
                    int ci = (int) (bt * p.strideC() + i + j * p.ldc());
                    c[ci] = (float) (accumulate ? c[ci] + s : s);
                }
            }
        }
    }

    private float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextInt(7) - 3;
        return x;
    }

    /** Row-major product of views: A element (bt, r, c) at bt·ab + r·ar + c·ac, likewise B. */
    private static float[] expected(int batch, int m, int n, int k, float[] a, GemmPlan.Operand oa, float[] b, GemmPlan.Operand ob) {
        float[] c = new float[batch * m * n];
        for (int bt = 0; bt < batch; bt++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int l = 0; l < k; l++) {
                        s += a[(int) (bt * oa.batchStride() + i * oa.rowStride() + l * oa.colStride())]
                                * b[(int) (bt * ob.batchStride() + l * ob.rowStride() + j * ob.colStride())];
                    }
                    c[bt * m * n + i * n + j] = s;
                }
        return c;
    }

    private void check(int batch, int m, int n, int k, GemmPlan.Operand oa, int aSize, GemmPlan.Operand ob, int bSize) {
        float[] a = random(aSize), b = random(bSize);
        GemmPlan plan = GemmPlan.of(m, n, k, oa, ob, new GemmPlan.Operand(n, 1, (long) m * n), batch);
        assertNotNull(plan);
        float[] c = new float[batch * m * n];
        // cuBLAS's first operand is our B, its second our A
        cublasReference(plan, b, a, c, false);
        assertArrayEquals(expected(batch, m, n, k, a, oa, b, ob), c);
    }

    @Test
    void contiguousOperands() {
        check(1, 5, 7, 3, new GemmPlan.Operand(3, 1, 0), 15, new GemmPlan.Operand(7, 1, 0), 21);
    }

    @Test
    void transposedViewsAsALinearLayerUsesThem() {
        // y = x·Wᵀ with W [N, K]: B = Wᵀ has row stride 1, column stride K
        check(1, 4, 6, 5, new GemmPlan.Operand(5, 1, 0), 20, new GemmPlan.Operand(1, 5, 0), 30);
        // dW = dyᵀ·x: A = dyᵀ of dy [K?]: A [M, K] stored as [K, M]
        check(1, 6, 5, 4, new GemmPlan.Operand(1, 6, 0), 24, new GemmPlan.Operand(5, 1, 0), 20);
    }

    @Test
    void paddedRowsAndDegenerateDims() {
        check(1, 3, 4, 2, new GemmPlan.Operand(8, 1, 0), 3 * 8, new GemmPlan.Operand(9, 1, 0), 2 * 9);
        check(1, 1, 4, 3, new GemmPlan.Operand(0, 1, 0), 3, new GemmPlan.Operand(4, 1, 0), 12);   // decode: M = 1
        check(1, 4, 1, 3, new GemmPlan.Operand(3, 1, 0), 12, new GemmPlan.Operand(1, 5, 0), 3);   // N = 1, odd stride
    }

    @Test
    void batchedWithABroadcastOperand() {
        // attention-like [B, M, K]·[K, N] with B shared by the whole batch (batch stride 0)
        check(3, 4, 5, 6, new GemmPlan.Operand(6, 1, 24), 72, new GemmPlan.Operand(5, 1, 0), 30);
        check(2, 3, 3, 4, new GemmPlan.Operand(1, 3, 12), 24, new GemmPlan.Operand(1, 4, 12), 24);
    }

    @Test
    void accumulateAddsToC() {
        GemmPlan plan = GemmPlan.of(2, 2, 1, new GemmPlan.Operand(1, 1, 0), new GemmPlan.Operand(2, 1, 0), new GemmPlan.Operand(2, 1, 0), 1);
        float[] c = {1, 1, 1, 1};
        cublasReference(plan, new float[]{1, 2}, new float[]{3, 4}, c, true);
        assertArrayEquals(new float[]{4, 7, 5, 9}, c);
    }

    @Test
    void noPlanWithoutAUnitStride() {
        assertNull(GemmPlan.of(3, 3, 3, new GemmPlan.Operand(6, 2, 0), new GemmPlan.Operand(3, 1, 0), new GemmPlan.Operand(3, 1, 0), 1));
        assertNull(GemmPlan.of(3, 3, 3, new GemmPlan.Operand(3, 1, 0), new GemmPlan.Operand(3, 1, 0), new GemmPlan.Operand(1, 3, 0), 1));
        assertNull(GemmPlan.of(3, 3, 3, new GemmPlan.Operand(2, 1, 0), new GemmPlan.Operand(3, 1, 0), new GemmPlan.Operand(3, 1, 0), 1),
                "overlapping rows (row stride < columns)");
        assertEquals(GemmPlan.OP_T, GemmPlan.of(2, 3, 4, new GemmPlan.Operand(4, 1, 0), new GemmPlan.Operand(1, 4, 0), new GemmPlan.Operand(3, 1, 0), 1).transa());
    }
}
