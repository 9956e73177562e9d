package io.jswift.backend.cpu.fused;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small products on heap blocks for the tiled attention kernels: C[m, n] (+)= A[m, k]·B[k, n] with
 * A(r, p) = a[ao + r·ars + p·acs] (any strides, so Aᵀ of a row-major block costs nothing),
 * B(p, c) = b[bo + p·ldb + c] and C(r, c) = c[co + r·ldc + c] row-major. The blocks are already in L1/L2
 * and k is short (a head dim or a block edge), so there is no packing: an MR×2V register tile (MR = 8, MR×V on AVX2,
 * 16 accumulators) streams k, broadcasting A scalars against two vectors of B, like the GEMM's
 * {@code MicroKernel}; a column-major A (ars = 1: the MR scalars of one k adjacent) takes variants with
 * constant offsets, ~10% faster. Everything is a heap array: C2 keeps the accumulators in registers only
 * when the loop touches no memory segment (see MicroKernel). m must be a multiple of MR and n of V.
 */
final class TileGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final int MR = 8;
    /**
     * Two vectors per tile need 16 accumulators + 2 B + 1 A registers: AVX-512 has 32, AVX2 only 16, where C2
     * spilled accumulators through the stack; there every tile is MR × V (8 accumulators).
     */
    private static final boolean PAIRS = S.vectorBitSize() >= 512;

    private TileGemm() {}

    static void mul(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
                    float[] c, int co, int ldc, boolean accumulate) {
        if (m % MR != 0 || n % V != 0) throw new IllegalArgumentException("tile product " + m + "x" + n + " is not a multiple of " + MR + "x" + V);
        int j = 0;
        for (; PAIRS && j + 2 * V <= n; j += 2 * V) { // B panel (k × 2V) stays in L1 across the row tiles
            for (int r = 0; r < m; r += MR) {
                if (ars == 1) tile2c(k, a, ao + r, acs, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate);
                else tile2(k, a, ao + r * ars, ars, acs, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate);
            }
        }
        for (; j < n; j += V) {
            for (int r = 0; r < m; r += MR) {
                if (ars == 1) tile1c(k, a, ao + r, acs, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate);
                else tile1(k, a, ao + r * ars, ars, acs, b, bo + j, ldb, c, co + r * ldc + j, ldc, accumulate);
            }
        }
    }

    /** One MR × 2V tile. */
    private static void tile2(int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, c, co);
            c01 = FloatVector.fromArray(S, c, co + V);
            c10 = FloatVector.fromArray(S, c, co + ldc);
            c11 = FloatVector.fromArray(S, c, co + ldc + V);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, co + 2 * ldc + V);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, co + 3 * ldc + V);
            c40 = FloatVector.fromArray(S, c, co + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, co + 4 * ldc + V);
            c50 = FloatVector.fromArray(S, c, co + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, co + 5 * ldc + V);
            c60 = FloatVector.fromArray(S, c, co + 6 * ldc);
            c61 = FloatVector.fromArray(S, c, co + 6 * ldc + V);
            c70 = FloatVector.fromArray(S, c, co + 7 * ldc);
            c71 = FloatVector.fromArray(S, c, co + 7 * ldc + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += acs, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + ars]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * ars]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * ars]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4 * ars]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5 * ars]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ai + 6 * ars]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ai + 7 * ars]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + V);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + V);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + V);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + V);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + V);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + V);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + V);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + V);
    }

    /** One MR × V tile (the last V columns when n is an odd number of vectors, e.g. head dim 80 or 8). */
    private static void tile1(int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7;
        if (accumulate) {
            c0 = FloatVector.fromArray(S, c, co);
            c1 = FloatVector.fromArray(S, c, co + ldc);
            c2 = FloatVector.fromArray(S, c, co + 2 * ldc);
            c3 = FloatVector.fromArray(S, c, co + 3 * ldc);
            c4 = FloatVector.fromArray(S, c, co + 4 * ldc);
            c5 = FloatVector.fromArray(S, c, co + 5 * ldc);
            c6 = FloatVector.fromArray(S, c, co + 6 * ldc);
            c7 = FloatVector.fromArray(S, c, co + 7 * ldc);
        } else {
            FloatVector z = FloatVector.zero(S);
            c0 = z; c1 = z; c2 = z; c3 = z; c4 = z; c5 = z; c6 = z; c7 = z;
        }
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += acs, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            c0 = b0.fma(FloatVector.broadcast(S, a[ai]), c0);
            c1 = b0.fma(FloatVector.broadcast(S, a[ai + ars]), c1);
            c2 = b0.fma(FloatVector.broadcast(S, a[ai + 2 * ars]), c2);
            c3 = b0.fma(FloatVector.broadcast(S, a[ai + 3 * ars]), c3);
            c4 = b0.fma(FloatVector.broadcast(S, a[ai + 4 * ars]), c4);
            c5 = b0.fma(FloatVector.broadcast(S, a[ai + 5 * ars]), c5);
            c6 = b0.fma(FloatVector.broadcast(S, a[ai + 6 * ars]), c6);
            c7 = b0.fma(FloatVector.broadcast(S, a[ai + 7 * ars]), c7);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + ldc);
        c2.intoArray(c, co + 2 * ldc);
        c3.intoArray(c, co + 3 * ldc);
        c4.intoArray(c, co + 4 * ldc);
        c5.intoArray(c, co + 5 * ldc);
        c6.intoArray(c, co + 6 * ldc);
        c7.intoArray(c, co + 7 * ldc);
    }

    /** tile2 for a column-major A (ars = 1): the MR scalars of one k are adjacent, their offsets constants. */
    private static void tile2c(int k, float[] a, int ao, int acs, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, c, co);
            c01 = FloatVector.fromArray(S, c, co + V);
            c10 = FloatVector.fromArray(S, c, co + ldc);
            c11 = FloatVector.fromArray(S, c, co + ldc + V);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, co + 2 * ldc + V);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, co + 3 * ldc + V);
            c40 = FloatVector.fromArray(S, c, co + 4 * ldc);
            c41 = FloatVector.fromArray(S, c, co + 4 * ldc + V);
            c50 = FloatVector.fromArray(S, c, co + 5 * ldc);
            c51 = FloatVector.fromArray(S, c, co + 5 * ldc + V);
            c60 = FloatVector.fromArray(S, c, co + 6 * ldc);
            c61 = FloatVector.fromArray(S, c, co + 6 * ldc + V);
            c70 = FloatVector.fromArray(S, c, co + 7 * ldc);
            c71 = FloatVector.fromArray(S, c, co + 7 * ldc + V);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += acs, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + V);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + V);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + V);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + V);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + V);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + V);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + V);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + V);
    }

    /** tile1 for a column-major A. */
    private static void tile1c(int k, float[] a, int ao, int acs, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc, boolean accumulate) {
        FloatVector c0, c1, c2, c3, c4, c5, c6, c7;
        if (accumulate) {
            c0 = FloatVector.fromArray(S, c, co);
            c1 = FloatVector.fromArray(S, c, co + ldc);
            c2 = FloatVector.fromArray(S, c, co + 2 * ldc);
            c3 = FloatVector.fromArray(S, c, co + 3 * ldc);
            c4 = FloatVector.fromArray(S, c, co + 4 * ldc);
            c5 = FloatVector.fromArray(S, c, co + 5 * ldc);
            c6 = FloatVector.fromArray(S, c, co + 6 * ldc);
            c7 = FloatVector.fromArray(S, c, co + 7 * ldc);
        } else {
            FloatVector z = FloatVector.zero(S);
            c0 = z; c1 = z; c2 = z; c3 = z; c4 = z; c5 = z; c6 = z; c7 = z;
        }
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += acs, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            c0 = b0.fma(FloatVector.broadcast(S, a[ai]), c0);
            c1 = b0.fma(FloatVector.broadcast(S, a[ai + 1]), c1);
            c2 = b0.fma(FloatVector.broadcast(S, a[ai + 2]), c2);
            c3 = b0.fma(FloatVector.broadcast(S, a[ai + 3]), c3);
            c4 = b0.fma(FloatVector.broadcast(S, a[ai + 4]), c4);
            c5 = b0.fma(FloatVector.broadcast(S, a[ai + 5]), c5);
            c6 = b0.fma(FloatVector.broadcast(S, a[ai + 6]), c6);
            c7 = b0.fma(FloatVector.broadcast(S, a[ai + 7]), c7);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + ldc);
        c2.intoArray(c, co + 2 * ldc);
        c3.intoArray(c, co + 3 * ldc);
        c4.intoArray(c, co + 4 * ldc);
        c5.intoArray(c, co + 5 * ldc);
        c6.intoArray(c, co + 6 * ldc);
        c7.intoArray(c, co + 7 * ldc);
    }
}
