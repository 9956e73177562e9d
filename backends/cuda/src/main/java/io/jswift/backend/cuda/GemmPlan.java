package io.jswift.backend.cuda;

/**
 * A row-major batched product C = A·B as cuBLAS's column-major call. cuBLAS sees a row-major matrix as its
 * transpose, so C[M, N] = A[M, K]·B[K, N] becomes Cᵀ = Bᵀ·Aᵀ: cuBLAS's first operand is B, its second A, its
 * m = N and n = M. A matrix whose rows are contiguous (column stride 1) is passed untransposed with ld = its row
 * stride; one whose columns are contiguous (row stride 1, a transposed view such as Wᵀ of a Linear) is passed
 * with OP_T and ld = its column stride. Anything else (both strides > 1, overlapping rows) has no plan: the
 * caller makes it contiguous first. Dims of size 1 have no meaningful stride and are normalized away.
 * Dims: M, N, K as in C[M, N]; batch strides in elements, 0 for a broadcast operand.
 *
 * @param transa  cuBLAS's op of its first operand (our B): 0 = N, 1 = T
 * @param transb  cuBLAS's op of its second operand (our A)
 */
record GemmPlan(int transa, int transb, int m, int n, int k, long lda, long ldb, long ldc,
                long strideA, long strideB, long strideC, int batch) {
    static final int OP_N = 0, OP_T = 1;

    /** A [rows, cols] matrix view: element (r, c) at {@code r·rowStride + c·colStride}, batch i at {@code i·batchStride}. */
    record Operand(long rowStride, long colStride, long batchStride) {}

    /** The plan of C = A·B with A [M, K], B [K, N], C [M, N] (C's columns contiguous), or null. */
    static GemmPlan of(int m, int n, int k, Operand a, Operand b, Operand c, int batch) {
        long[] la = layout(m, k, a), lb = layout(k, n, b), lc = layout(m, n, c);
        if (la == null || lb == null || lc == null || lc[1] != OP_N) return null;
        // our B is cuBLAS's A: op N when its rows are contiguous (stored as the n x k ... transpose), else T
        long lda = lb[0], ldb = la[0];
        if (lb[1] == OP_N ? lda < n : lda < k) return null;
        if (la[1] == OP_N ? ldb < k : ldb < m) return null;
        if (lc[0] < n) return null;
        if (Math.max(lda, Math.max(ldb, lc[0])) > Integer.MAX_VALUE) return null;
        return new GemmPlan((int) lb[1], (int) la[1], n, m, k, lda, ldb, lc[0], b.batchStride(), a.batchStride(), c.batchStride(), batch);
    }

    /** {leading dim, op} of a [rows, cols] row-major view in cuBLAS's terms, or null when neither stride is 1. */
    private static long[] layout(int rows, int cols, Operand o) {
        long rs = o.rowStride(), cs = o.colStride();
        if (cols == 1) cs = 1;
        if (rows == 1) rs = cs == 1 ? cols : 1;
        if (cs == 1 && rs >= Math.max(1, cols)) return new long[]{rs, OP_N};
        if (rs == 1 && cs >= Math.max(1, rows)) return new long[]{cs, OP_T};
        return null;
    }
}
