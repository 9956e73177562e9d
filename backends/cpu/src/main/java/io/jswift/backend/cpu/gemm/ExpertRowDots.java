package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * C = X·Wᵀ for an expert's few rows X [m, k] against its row-major f32 weight W [n, k], on the calling thread, as
 * dot-product tiles of 2 rows of X × 4 rows of W: each block of 4 weight rows (16 KiB at k = 1024) stays in L1 while
 * every pair of X's rows passes over it, so X (m·k floats, L2) is read once per 4 weight rows.
 * Dims: m rows of X and C, n rows of W (columns of C), k.
 */
final class ExpertRowDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private ExpertRowDots() {}

    /** Whether B = Wᵀ of a row-major f32 W with rows of a whole number of vectors. */
    static boolean supports(Operand b, int k) {
        return b.type() == DType.F32 && b.rowStride() == 1 && k % L == 0;
    }

    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        float[][] x = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, x[i], 0, 1);
        MemorySegment w = b.segment();
        long stride = b.colStride() * 4;
        float[] tile = new float[8];
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            long w0 = (b.offset() + j * b.colStride()) * 4;
            int i = 0;
            for (; i + 2 <= m; i += 2) {
                tile2x4(x[i], x[i + 1], w, w0, stride, k, tile);
                for (int q = 0; q < 4; q++) {
                    Gemv.store(c, cOff + i * ldc + j + q, tile[q], accumulate);
                    Gemv.store(c, cOff + (i + 1) * ldc + j + q, tile[4 + q], accumulate);
                }
            }
            for (; i < m; i++) for (int q = 0; q < 4; q++) Gemv.store(c, cOff + i * ldc + j + q, Gemv.dotF32(x[i], w, w0 / 4 + q * (stride / 4), k), accumulate);
        }
        for (; j < n; j++) {
            long row = b.offset() + j * b.colStride();
            for (int i = 0; i < m; i++) Gemv.store(c, cOff + i * ldc + j, Gemv.dotF32(x[i], w, row, k), accumulate);
        }
    }

    /** out[q] = x0·W[q], out[4 + q] = x1·W[q] for the 4 weight rows from byte {@code w0}, {@code stride} bytes apart. */
    private static void tile2x4(float[] x0, float[] x1, MemorySegment w, long w0, long stride, int k, float[] out) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        long b0 = w0, b1 = w0 + stride, b2 = w0 + 2 * stride, b3 = w0 + 3 * stride;
        for (int p = 0; p < k; p += L) {
            FloatVector u = FloatVector.fromArray(F, x0, p), v = FloatVector.fromArray(F, x1, p);
            FloatVector r = FloatVector.fromMemorySegment(F, w, b0 + p * 4L, NATIVE);
            c00 = u.fma(r, c00);
            c10 = v.fma(r, c10);
            r = FloatVector.fromMemorySegment(F, w, b1 + p * 4L, NATIVE);
            c01 = u.fma(r, c01);
            c11 = v.fma(r, c11);
            r = FloatVector.fromMemorySegment(F, w, b2 + p * 4L, NATIVE);
            c02 = u.fma(r, c02);
            c12 = v.fma(r, c12);
            r = FloatVector.fromMemorySegment(F, w, b3 + p * 4L, NATIVE);
            c03 = u.fma(r, c03);
            c13 = v.fma(r, c13);
        }
        out[0] = VecMath.sum(c00);
        out[1] = VecMath.sum(c01);
        out[2] = VecMath.sum(c02);
        out[3] = VecMath.sum(c03);
        out[4] = VecMath.sum(c10);
        out[5] = VecMath.sum(c11);
        out[6] = VecMath.sum(c12);
        out[7] = VecMath.sum(c13);
    }
}
