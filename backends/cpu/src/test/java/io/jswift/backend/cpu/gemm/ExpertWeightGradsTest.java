package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An expert's weight gradient C (+)= dYᵀ·X against a float64 sum: expert row counts 0, 1, odd, one 4-row panel and
 * more, C rows past the last whole panel, columns past the last whole tile, C a block inside a wider matrix, 16-bit
 * operands; and the bits of {@link Gemm#shortK}, which it replaces.
 */
class ExpertWeightGradsTest {
    /** dy [r, n], x [r, k] → C [n, k] inside a matrix of leading dimension ldc from element cOff, written or added. */
    private static void check(int r, int n, int k, DType type, boolean accumulate) {
        Tensor dy = random(31L * r + n, type, r, n), x = random(17L * r + k, type, r, k);
        int ldc = k + 5, cOff = 3;
        Tensor c = random(7, DType.F32, n * ldc + cOff + 2);
        MemorySegment cs = c.hostSegment();
        double[] before = new double[(int) c.numel()];
        for (int i = 0; i < before.length; i++) before[i] = cs.getAtIndex(HostAccess.F32, i);
        ExpertWeightGrads.multiply(n, k, r, transposed(dy), rows(x), cs, cOff, ldc, accumulate);
        for (int i = 0; i < before.length; i++) {
            int at = i - cOff, row = Math.floorDiv(at, ldc), col = Math.floorMod(at, ldc);
            boolean inside = at >= 0 && row < n && col < k;
            double want = before[i];
            if (inside) {
                double s = 0;
                for (int p = 0; p < r; p++) s += value(dy, p * n + row) * value(x, p * k + col);
                want = accumulate ? before[i] + s : s;
            }
            double got = cs.getAtIndex(HostAccess.F32, i);
            double tol = inside ? 1e-5 * (Math.sqrt(r + 1) * 4 + Math.abs(want)) : 0;
            assertTrue(Math.abs(got - want) <= tol, "r=" + r + " n=" + n + " k=" + k + " " + type + " accumulate=" + accumulate
                    + ": element " + i + (inside ? " (" + row + ", " + col + ")" : " outside C") + " = " + got + ", want " + want);
        }
    }

    private static double value(Tensor t, int i) {
        return t.dtype() == DType.F32 ? t.hostSegment().getAtIndex(HostAccess.F32, i) : t.getDouble(i / t.size(1), i % t.size(1));
    }

    /** A = t[r, n]ᵀ. */
    private static Operand transposed(Tensor t) {
        return new Operand(t.hostSegment(), t.dtype(), t.offset(), t.stride(1), t.stride(0));
    }

    private static Operand rows(Tensor t) {
        return new Operand(t.hostSegment(), t.dtype(), t.offset(), t.stride(0), t.stride(1));
    }

    @Test
    void edgeRowCountsAndShapesAgreeWithFloat64() {
        for (int r : new int[]{0, 1, 3, 4, 16, 17, 40}) {
            for (int[] nk : new int[][]{{1, 1}, {3, 7}, {4, 16}, {7, 17}, {9, 40}, {33, 96}, {12, 1030}}) {
                check(r, nk[0], nk[1], DType.F32, false);
                check(r, nk[0], nk[1], DType.F32, true);
            }
        }
    }

    @Test
    void sixteenBitOperandsWidenedOnRead() {
        check(5, 9, 37, DType.BF16, true);
        check(16, 6, 48, DType.F16, false);
    }

    @Test
    void sameBitsAsTheBlockedShortKProduct() {
        for (int[] s : new int[][]{{1, 5, 33}, {16, 768, 1024}, {13, 37, 45}, {30, 16, 384}}) {
            int r = s[0], n = s[1], k = s[2];
            Tensor dy = random(r + 1L, r, n), x = random(r + 2L, r, k);
            for (boolean accumulate : new boolean[]{false, true}) {
                Tensor want = random(3, n, k), got = want.copy();
                Gemm.shortK(n, k, r, transposed(dy), rows(x), want.hostSegment(), 0, k, accumulate);
                ExpertWeightGrads.multiply(n, k, r, transposed(dy), rows(x), got.hostSegment(), 0, k, accumulate);
                for (long i = 0; i < (long) n * k; i++) {
                    assertEquals(want.hostSegment().getAtIndex(HostAccess.F32, i), got.hostSegment().getAtIndex(HostAccess.F32, i),
                            "r=" + r + " n=" + n + " k=" + k + " accumulate=" + accumulate + " element " + i);
                }
            }
        }
    }
}
