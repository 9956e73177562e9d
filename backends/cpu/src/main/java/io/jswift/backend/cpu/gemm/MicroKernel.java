package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The register-blocked inner kernel: an MR×NR tile of C (NR = 2 vectors) lives in 2·MR vector accumulators
 * while k runs over packed panels; each step loads two vectors of B, broadcasts MR scalars of A and issues
 * 2·MR FMAs. The tile height follows the register file: with AVX-512's 32 registers MR = 12 (24 accumulators
 * + 2 B + 1 A = 27); with AVX2's 16, MR = 4 (see {@link #tile4}) — the 12-row kernel spilled accumulators to
 * the stack there and ran at 0.28x OpenBLAS. Written out by hand so C2 keeps every accumulator in a register.
 */
final class MicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final boolean WIDE_REGISTER_FILE = S.vectorBitSize() >= 512;
    static final int MR = WIDE_REGISTER_FILE ? 12 : 4;
    static final int NR = 2 * V;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private MicroKernel() {}

    /**
     * C[0..rows, 0..cols) (+)= Apanel · Bpanel for one tile. C row r starts at element cOff + r·ldc of c.
     * Full tiles go straight to C; edge tiles through {@code scratch} (MR·NR floats).
     */
    static void tile(int kc, float[] a, int ai, float[] b, int bi, MemorySegment c, long cOff, long ldc,
                     int rows, int cols, boolean accumulate, float[] scratch) {
        if (WIDE_REGISTER_FILE) tile12(kc, a, ai, b, bi, scratch);
        else tile4(kc, a, ai, b, bi, scratch);
        flush(scratch, c, cOff, ldc, rows, cols, accumulate);
    }

    /**
     * The 4-row tile for 16-register vector units (AVX2). 8 accumulators (two FMA pipes × 4 cycles latency)
     * are enough to saturate the FMA units; BLIS's 6×16 layout spilled two accumulators through the stack in
     * C2's allocation (it hoists the broadcasts), a store-to-load chain per step: 44 vs 82-92 GFLOPS per core
     * on Zen 3 with the same packed panels.
     */
    private static void tile4(int kc, float[] a, int ai, float[] b, int bi, float[] scratch) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int k = 0; k < kc; k++) {
            int ak = ai + 4 * k, bk = bi + NR * k;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ak]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + 1]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        c0_0.intoArray(scratch, 0);
        c0_1.intoArray(scratch, V);
        c1_0.intoArray(scratch, NR);
        c1_1.intoArray(scratch, NR + V);
        c2_0.intoArray(scratch, 2 * NR);
        c2_1.intoArray(scratch, 2 * NR + V);
        c3_0.intoArray(scratch, 3 * NR);
        c3_1.intoArray(scratch, 3 * NR + V);
    }

    /** The 12-row tile for 32-register vector units (AVX-512). */
    private static void tile12(int kc, float[] a, int ai, float[] b, int bi, float[] scratch) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        FloatVector c4_0 = z, c4_1 = z, c5_0 = z, c5_1 = z, c6_0 = z, c6_1 = z, c7_0 = z, c7_1 = z;
        FloatVector c8_0 = z, c8_1 = z, c9_0 = z, c9_1 = z, c10_0 = z, c10_1 = z, c11_0 = z, c11_1 = z;
        for (int k = 0; k < kc; k++, ai += 12, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
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
            FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
            c6_0 = b0.fma(a6, c6_0);
            c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
            c7_0 = b0.fma(a7, c7_0);
            c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(S, a[ai + 8]);
            c8_0 = b0.fma(a8, c8_0);
            c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(S, a[ai + 9]);
            c9_0 = b0.fma(a9, c9_0);
            c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(S, a[ai + 10]);
            c10_0 = b0.fma(a10, c10_0);
            c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(S, a[ai + 11]);
            c11_0 = b0.fma(a11, c11_0);
            c11_1 = b1.fma(a11, c11_1);
        }
        // The FMA loop's method touches only heap arrays: mixing in memory-segment loads of C made C2 fall back
        // to boxed vectors (10x slower). The tile goes to scratch; flush() adds or copies it into C.
        c0_0.intoArray(scratch, 0 * NR);
        c0_1.intoArray(scratch, 0 * NR + V);
        c1_0.intoArray(scratch, 1 * NR);
        c1_1.intoArray(scratch, 1 * NR + V);
        c2_0.intoArray(scratch, 2 * NR);
        c2_1.intoArray(scratch, 2 * NR + V);
        c3_0.intoArray(scratch, 3 * NR);
        c3_1.intoArray(scratch, 3 * NR + V);
        c4_0.intoArray(scratch, 4 * NR);
        c4_1.intoArray(scratch, 4 * NR + V);
        c5_0.intoArray(scratch, 5 * NR);
        c5_1.intoArray(scratch, 5 * NR + V);
        c6_0.intoArray(scratch, 6 * NR);
        c6_1.intoArray(scratch, 6 * NR + V);
        c7_0.intoArray(scratch, 7 * NR);
        c7_1.intoArray(scratch, 7 * NR + V);
        c8_0.intoArray(scratch, 8 * NR);
        c8_1.intoArray(scratch, 8 * NR + V);
        c9_0.intoArray(scratch, 9 * NR);
        c9_1.intoArray(scratch, 9 * NR + V);
        c10_0.intoArray(scratch, 10 * NR);
        c10_1.intoArray(scratch, 10 * NR + V);
        c11_0.intoArray(scratch, 11 * NR);
        c11_1.intoArray(scratch, 11 * NR + V);
    }

    /** C tile (+)= scratch tile; vectorized for full-width rows. */
    private static void flush(float[] scratch, MemorySegment c, long cOff, long ldc, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            long row = cOff + r * ldc;
            int j = 0;
            for (; j + V <= cols; j += V) {
                FloatVector t = FloatVector.fromArray(S, scratch, r * NR + j);
                if (accumulate) t = t.add(FloatVector.fromMemorySegment(S, c, (row + j) * 4, NATIVE));
                t.intoMemorySegment(c, (row + j) * 4, NATIVE);
            }
            for (; j < cols; j++) {
                float v = scratch[r * NR + j];
                if (accumulate) v += c.getAtIndex(HostAccess.F32, row + j);
                c.setAtIndex(HostAccess.F32, row + j, v);
            }
        }
    }
}
