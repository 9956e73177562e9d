package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.VecMath;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * C = X·Wᵀ for a few rows of X (5 to {@link Gemm#SMALL_M}: batched decoding, a chat turn's short prompt) and a
 * row-major weight W [N, K] in bf16 or f32, as register tiles of dot products along K: four rows of X against two
 * rows of W, eight vector accumulators summed across lanes once per tile. Both operands are read where they lie —
 * the blocked GEMM packs all of Wᵀ per call, and for a handful of rows that packing costs several times the
 * arithmetic (m = 5..16 on Llama-3.2-1B's 8192 x 2048 projection: 6-11 ms per product against 3 ms for four rows
 * through the GEMV). Each weight vector is loaded and widened once for four activation rows, where the per-row
 * GEMV reloads and rewidens it for every row. bf16 weights are read as 32-bit pairs as in {@link Gemv}.
 */
final class RowDotTiles {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int MR = 4, NR = 2;

    private RowDotTiles() {}

    /** C = A·B, or C += A·B when {@code accumulate}, for B = Wᵀ ({@link Operand#isWeightRows}). */
    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        boolean bf16 = b.type() == DType.BF16;
        float[][] x = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, x[i], 0, 1);
        // the vector part of K: whole vectors of pairs (bf16) or floats (f32); the rest is summed element by element
        int kv = bf16 ? k / (2 * L) * (2 * L) : k / L * L;
        // bf16: the activations split into even and odd halves of the vector part (see Gemv); f32 reads x itself
        float[][] even = bf16 ? new float[m][kv / 2] : null, odd = bf16 ? new float[m][kv / 2] : null;
        for (int i = 0; bf16 && i < m; i++) {
            Gemv.splitPairs(x[i], 0, kv, even[i], odd[i]);
        }
        int size = bf16 ? 2 : 4;
        long stride = b.colStride();
        int blocks = (n + NR - 1) / NR;
        // compute-bound: chunks of ~256 KiB of weights balance the cores without many hand-outs
        int grain = (int) Math.max(1, (256L << 10) / ((long) k * size * NR));
        Parallel.dynamic(blocks, grain, (from, to) -> {
            MemorySegment w = b.segment();
            float[] tile = new float[MR * NR];
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * NR, cols = Math.min(NR, n - j0);
                long r0 = b.offset() + j0 * stride;
                int i0 = 0;
                if (cols == NR) {
                    for (; i0 + MR <= m; i0 += MR) {
                        if (bf16) tile4x2Bf16(even, odd, i0, w, r0, stride, kv / 2, tile);
                        else tile4x2F32(x, i0, w, r0, stride, kv, tile);
                        for (int r = 0; r < MR; r++) {
                            for (int q = 0; q < NR; q++) {
                                float v = tile[r * NR + q] + tail(x[i0 + r], w, r0 + q * stride, kv, k, bf16);
                                Gemv.store(c, cOff + (i0 + r) * ldc + j0 + q, v, accumulate);
                            }
                        }
                    }
                }
                for (int i = i0; i < m; i++) { // rows of X past the last whole tile, and the last odd row of W
                    for (int q = 0; q < cols; q++) {
                        long row = r0 + q * stride;
                        float v = (bf16 ? Gemv.dotBf16(even[i], odd[i], w, row, kv) : Gemv.dotF32(x[i], w, row, kv)) + tail(x[i], w, row, kv, k, bf16);
                        Gemv.store(c, cOff + i * ldc + j0 + q, v, accumulate);
                    }
                }
            }
        });
    }

    /** Σ x[p]·w[row + p] over p in [from, k): the part of K past the last whole vector. */
    private static float tail(float[] x, MemorySegment w, long row, int from, int k, boolean bf16) {
        float s = 0;
        for (int p = from; p < k; p++) {
            s += x[p] * (bf16 ? Half.bf16ToFloat(w.getAtIndex(HostAccess.I16, row + p)) : w.getAtIndex(HostAccess.F32, row + p));
        }
        return s;
    }

    /** Rows i0..i0+3 of X against weight rows r0 and r0 + stride, over {@code pairs} (a multiple of L) bf16 pairs. */
    private static void tile4x2Bf16(float[][] xe, float[][] xo, int i0, MemorySegment w, long r0, long stride, int pairs, float[] out) {
        float[] e0 = xe[i0], o0 = xo[i0], e1 = xe[i0 + 1], o1 = xo[i0 + 1], e2 = xe[i0 + 2], o2 = xo[i0 + 2], e3 = xe[i0 + 3], o3 = xo[i0 + 3];
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long b0 = r0 * 2, b1 = (r0 + stride) * 2;
        for (int j = 0; j < pairs; j += L) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, b0 + (long) j * 4, NATIVE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, b1 + (long) j * 4, NATIVE);
            FloatVector we0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), wo0 = p0.and(0xFFFF0000).reinterpretAsFloats();
            FloatVector we1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), wo1 = p1.and(0xFFFF0000).reinterpretAsFloats();
            FloatVector ve = FloatVector.fromArray(F, e0, j), vo = FloatVector.fromArray(F, o0, j);
            c00 = vo.fma(wo0, ve.fma(we0, c00));
            c01 = vo.fma(wo1, ve.fma(we1, c01));
            ve = FloatVector.fromArray(F, e1, j);
            vo = FloatVector.fromArray(F, o1, j);
            c10 = vo.fma(wo0, ve.fma(we0, c10));
            c11 = vo.fma(wo1, ve.fma(we1, c11));
            ve = FloatVector.fromArray(F, e2, j);
            vo = FloatVector.fromArray(F, o2, j);
            c20 = vo.fma(wo0, ve.fma(we0, c20));
            c21 = vo.fma(wo1, ve.fma(we1, c21));
            ve = FloatVector.fromArray(F, e3, j);
            vo = FloatVector.fromArray(F, o3, j);
            c30 = vo.fma(wo0, ve.fma(we0, c30));
            c31 = vo.fma(wo1, ve.fma(we1, c31));
        }
        out[0] = VecMath.sum(c00);
        out[1] = VecMath.sum(c01);
        out[2] = VecMath.sum(c10);
        out[3] = VecMath.sum(c11);
        out[4] = VecMath.sum(c20);
        out[5] = VecMath.sum(c21);
        out[6] = VecMath.sum(c30);
        out[7] = VecMath.sum(c31);
    }

    /**
     * Rows i0..i0+3 of X against f32 weight rows r0 and r0 + stride, over {@code k} (a multiple of L) elements. The
     * eight lane sums at the end repeat those of the bf16 tile on purpose: a helper taking the accumulators is not
     * always inlined (C1 and cold C2 call sites), and vectors passed to an out-of-line call are boxed.
     */
    private static void tile4x2F32(float[][] x, int i0, MemorySegment w, long r0, long stride, int k, float[] out) {
        float[] x0 = x[i0], x1 = x[i0 + 1], x2 = x[i0 + 2], x3 = x[i0 + 3];
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long b0 = r0 * 4, b1 = (r0 + stride) * 4;
        for (int j = 0; j < k; j += L) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, b0 + (long) j * 4, NATIVE);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, b1 + (long) j * 4, NATIVE);
            FloatVector v = FloatVector.fromArray(F, x0, j);
            c00 = v.fma(w0, c00);
            c01 = v.fma(w1, c01);
            v = FloatVector.fromArray(F, x1, j);
            c10 = v.fma(w0, c10);
            c11 = v.fma(w1, c11);
            v = FloatVector.fromArray(F, x2, j);
            c20 = v.fma(w0, c20);
            c21 = v.fma(w1, c21);
            v = FloatVector.fromArray(F, x3, j);
            c30 = v.fma(w0, c30);
            c31 = v.fma(w1, c31);
        }
        out[0] = VecMath.sum(c00);
        out[1] = VecMath.sum(c01);
        out[2] = VecMath.sum(c10);
        out[3] = VecMath.sum(c11);
        out[4] = VecMath.sum(c20);
        out[5] = VecMath.sum(c21);
        out[6] = VecMath.sum(c30);
        out[7] = VecMath.sum(c31);
    }
}
