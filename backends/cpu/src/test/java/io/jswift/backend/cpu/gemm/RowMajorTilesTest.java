package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input gradient's few-row product C (+)= A·B over a row-major f32 B read in place, against a float64 sum: row
 * counts 0, 1, odd, one 4-row panel and more, K across several touched blocks (a wide B has shorter blocks), columns
 * past the last whole strip, C a block inside a wider matrix.
 */
class RowMajorTilesTest {
    private static void check(int m, int k, int n, boolean accumulate) {
        Tensor a = random(31L * m + k, m, k), b = random(17L * k + n, k, n);
        int ldc = n + 3, cOff = 5;
        Tensor c = random(7, DType.F32, m * ldc + cOff + 1);
        MemorySegment cs = c.hostSegment();
        double[] before = new double[(int) c.numel()];
        for (int i = 0; i < before.length; i++) before[i] = cs.getAtIndex(HostAccess.F32, i);
        Operand ao = new Operand(a.hostSegment(), DType.F32, 0, k, 1), bo = new Operand(b.hostSegment(), DType.F32, 0, n, 1);
        RowMajorTiles.multiply(m, n, k, ao, bo, cs, cOff, ldc, accumulate);
        for (int i = 0; i < before.length; i++) {
            int at = i - cOff, row = Math.floorDiv(at, ldc), col = Math.floorMod(at, ldc);
            boolean inside = at >= 0 && row < m && col < n;
            double want = before[i];
            if (inside) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a.hostSegment().getAtIndex(HostAccess.F32, (long) row * k + p) * b.hostSegment().getAtIndex(HostAccess.F32, (long) p * n + col);
                want = accumulate ? before[i] + s : s;
            }
            double got = cs.getAtIndex(HostAccess.F32, i);
            double tol = inside ? 2e-5 * (Math.sqrt(k) * 4 + Math.abs(want)) : 0;
            assertTrue(Math.abs(got - want) <= tol, "m=" + m + " k=" + k + " n=" + n + " accumulate=" + accumulate + ": element " + i
                    + (inside ? " (" + row + ", " + col + ")" : " outside C") + " = " + got + ", want " + want);
        }
    }

    @Test
    void fewRowsAgainstFloat64AcrossBlocksAndTails() {
        for (int m : new int[]{0, 1, 3, 4, 5, 17}) {
            for (int[] kn : new int[][]{{1, 16}, {7, 37}, {300, 64}, {200, 2000}, {97, 8}}) {
                check(m, kn[0], kn[1], false);
                check(m, kn[0], kn[1], true);
            }
        }
    }
}
