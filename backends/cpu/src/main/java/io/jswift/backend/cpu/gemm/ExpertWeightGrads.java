package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * An expert's weight gradient C[n, k] (+)= dYᵀ·X = Σ_i dY[i, n]·X[i, k] over its few rows i, on the calling thread,
 * into a row-major f32 C. With ~16 rows the product is short (K = 16) and C itself — read, added to and written back,
 * 3 MB an expert for Qwen3-30B-A3B's gate_up at hidden 1024 — is most of the traffic. C is swept along its rows, 4
 * rows at a time from left to right (4 sequential streams), each 4 × 2-vector tile summed in registers over the rows i
 * and added into C straight from them. It replaces {@link Gemm#shortK} for the experts, which runs the same tiles
 * through {@link MicroKernel} (a scratch tile and a general flush, dY's 4-row panel packed per panel): 112 / 206 ms vs
 * 73 / 128 ms of one core for the 128 experts' dDown / dGateUp at MoeQuick's shape (GroupedKernelsLab, busy machine,
 * docs/BENCHMARKS.md, session 24). Which of those differences the time goes to is not established: writing the
 * tile's sums through a small array first, as the flush does, measured within noise of the version here. X is packed
 * into 2-vector column panels, as there: read in place its rows lie k floats apart — 4 KiB at k = 1024, one L1 set for
 * all 16 rows of a tile — and that variant was no faster than shortK.
 * Each C element gets C + Σ_i (fma in order i = 0, 1, …): the bits of {@link Gemm#shortK}.
 * Dims: n rows of C (the weight's out features), k columns of C (in features), r the expert's rows.
 */
final class ExpertWeightGrads {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4, NR = 2 * L;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private ExpertWeightGrads() {}

    /** C[n, k] = A·B, or C += A·B when {@code accumulate}, for A [n, r] (dYᵀ) and B [r, k] (X); any operand dtype. */
    static void multiply(int n, int k, int r, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        float[] x = new float[(k + NR - 1) / NR * NR * r];
        Packing.packB(b, 0, r, 0, k, x, 0, NR); // panel q: [r][NR] = X[i, NR·q .. NR·q + NR), zero-padded
        float[] packed = new float[(n + MR - 1) / MR * MR * r];
        Packing.packA(a, 0, n, 0, r, packed, MR); // panel p: [r][MR] = dY[i, MR·p .. MR·p + MR)
        int kv = k / NR * NR;
        for (int row = 0; row < n; row += MR) {
            int rows = Math.min(MR, n - row), ai = row * r;
            long c0 = cOff + row * ldc;
            for (int j = 0; j < kv; j += NR) tile(x, j * r, packed, ai, r, c, (c0 + j) * 4, ldc * 4, rows, accumulate);
            for (int q = 0; q < rows; q++) { // columns past the last whole tile
                for (int j = kv; j < k; j++) {
                    float s = 0;
                    for (int i = 0; i < r; i++) s = Math.fma(x[kv * r + i * NR + j - kv], packed[ai + MR * i + q], s);
                    long at = c0 + q * ldc + j;
                    c.setAtIndex(HostAccess.F32, at, accumulate ? s + c.getAtIndex(HostAccess.F32, at) : s);
                }
            }
        }
    }

    /**
     * C rows [rows ≤ 4] × 2 vectors from byte {@code cAt} (rows {@code ldcBytes} apart) (+)= dY's panel at {@code ai}
     * times X's panel at {@code xi}; the accumulators go to C from registers.
     */
    private static void tile(float[] x, int xi, float[] a, int ai, int r, MemorySegment c, long cAt, long ldcBytes, int rows,
                             boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int i = 0; i < r; i++, xi += NR, ai += MR) {
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        put(c, cAt, c0_0, accumulate);
        put(c, cAt + 4L * L, c0_1, accumulate);
        if (rows > 1) {
            put(c, cAt + ldcBytes, c1_0, accumulate);
            put(c, cAt + ldcBytes + 4L * L, c1_1, accumulate);
        }
        if (rows > 2) {
            put(c, cAt + 2 * ldcBytes, c2_0, accumulate);
            put(c, cAt + 2 * ldcBytes + 4L * L, c2_1, accumulate);
        }
        if (rows > 3) {
            put(c, cAt + 3 * ldcBytes, c3_0, accumulate);
            put(c, cAt + 3 * ldcBytes + 4L * L, c3_1, accumulate);
        }
    }

    /** C's vector at byte {@code at} = v, or += v (the tile's sum added to C, as BLAS beta = 1). */
    private static void put(MemorySegment c, long at, FloatVector v, boolean accumulate) {
        if (accumulate) v = v.add(FloatVector.fromMemorySegment(S, c, at, NATIVE));
        v.intoMemorySegment(c, at, NATIVE);
    }
}
