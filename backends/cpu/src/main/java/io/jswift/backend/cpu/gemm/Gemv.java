package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Products with very few rows of A (token-by-token decoding): memory-bound, so B is streamed exactly once,
 * split across cores by columns. With B = Wᵀ for a row-major weight W [N, K] (every Linear layer), each
 * output is a dot product along contiguous K; bf16 weights are widened in registers (no f32 copy).
 */
final class Gemv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SH = ShortVector.SPECIES_256;   // 16 bf16 lanes
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;    // widened to 16 ints
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Gemv() {}

    static void rows(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc) {
        float[][] aRows = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, aRows[i], 0, 1);
        boolean weightRows = b.rowStride() == 1 && (b.type() == DType.F32 || (b.type() == DType.BF16 && F.length() == 16));
        int grain = Math.max(1, (1 << 14) / Math.max(1, k));
        if (weightRows) {
            Parallel.range(n, grain, (from, to) -> {
                for (int j = from; j < to; j++) {
                    long w = b.offset() + j * b.colStride();
                    for (int i = 0; i < m; i++) {
                        float dot = b.type() == DType.F32 ? dotF32(aRows[i], b.segment(), w, k) : dotBf16(aRows[i], b.segment(), w, k);
                        c.setAtIndex(HostAccess.F32, cOff + i * ldc + j, dot);
                    }
                }
            });
            return;
        }
        // generic: c[i, j] = Σ_k a[i, k] · B(k, j), accumulated in column blocks to stream B row by row
        Parallel.range((n + 255) / 256, 1, (from, to) -> {
            float[] col = new float[256];
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * 256, cols = Math.min(256, n - j0);
                float[][] acc = new float[m][cols];
                for (int p = 0; p < k; p++) {
                    b.readRun(p, j0, cols, true, col, 0, 1);
                    for (int i = 0; i < m; i++) {
                        float av = aRows[i][p];
                        float[] row = acc[i];
                        for (int j = 0; j < cols; j++) row[j] += av * col[j];
                    }
                }
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < cols; j++) c.setAtIndex(HostAccess.F32, cOff + i * ldc + j0 + j, acc[i][j]);
                }
            }
        });
    }

    private static float dotF32(float[] x, MemorySegment w, long off, int k) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0, step = 2 * F.length(), bound = k - k % step;
        for (; i < bound; i += step) {
            acc0 = FloatVector.fromArray(F, x, i).fma(FloatVector.fromMemorySegment(F, w, (off + i) * 4, NATIVE), acc0);
            acc1 = FloatVector.fromArray(F, x, i + F.length()).fma(FloatVector.fromMemorySegment(F, w, (off + i + F.length()) * 4, NATIVE), acc1);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) s += x[i] * w.getAtIndex(HostAccess.F32, off + i);
        return s;
    }

    /** bf16 → f32 is a 16-bit left shift of the bits: widen 16 shorts to ints, shift, reinterpret. */
    private static float dotBf16(float[] x, MemorySegment w, long off, int k) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = k - k % 16;
        for (; i < bound; i += 16) {
            ShortVector raw = ShortVector.fromMemorySegment(SH, w, (off + i) * 2, NATIVE);
            IntVector bits = ((IntVector) raw.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            acc = FloatVector.fromArray(F, x, i).fma(bits.reinterpretAsFloats(), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) s += x[i] * io.jswift.tensor.Half.bf16ToFloat(w.getAtIndex(HostAccess.I16, off + i));
        return s;
    }
}
