package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.gemm.Gemm.Route;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link WeightRowsGemm} (C = X·Wᵀ as Cᵀ = W·Xᵀ with W read as stored) against a float64 loop over the same operands,
 * at every edge of its tiling: rows of X past the last whole panel, a last partial tile of weight rows, K below one
 * vector, past one K block, and views (X rows with a gap, W starting mid-row); then the same bits as the blocked GEMM.
 */
class WeightRowsGemmTest {
    private static final int[] MS = {5, 17, WeightRowsGemm.NX - 1, WeightRowsGemm.NX + 1, 64, 100, 129};
    private static final int[] NS = {1, WeightRowsGemm.TW, 7, 65};
    private static final int[] KS = {1, 9, Gemm.KC + 1, 1100};

    @Test
    void matchesFloat64AtEveryTileEdge() {
        for (DType weight : new DType[]{DType.F32, DType.BF16}) {
            for (int m : MS) {
                for (int n : NS) {
                    for (int k : KS) {
                        GemmCase c = GemmCase.weightRows(m, n, k, weight, 31L * m + 7L * n + k);
                        for (boolean accumulate : new boolean[]{false, true}) {
                            double[] want = c.expected(accumulate);
                            float[] got = c.run(Route.WEIGHT_ROWS, accumulate);
                            double tol = 2e-5 * Math.sqrt(k + 1);
                            for (int i = 0; i < want.length; i++) {
                                assertEquals(want[i], got[i], tol * (1 + Math.abs(want[i])),
                                        weight + " m=" + m + " n=" + n + " k=" + k + " accumulate=" + accumulate + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sameBitsAsTheBlockedGemm() {
        // the same K blocks, each summed in k order by FMAs from zero and added to C: nothing to round differently
        for (DType weight : new DType[]{DType.F32, DType.BF16}) {
            for (int[] s : new int[][]{{17, 65, 1100}, {64, 130, 896}, {33, 7, 2 * Gemm.KC + 3}}) {
                GemmCase c = GemmCase.weightRows(s[0], s[1], s[2], weight, s[0] + s[1] + s[2]);
                for (boolean accumulate : new boolean[]{false, true}) {
                    assertArrayEquals(c.run(Route.BLOCKED, accumulate), c.run(Route.WEIGHT_ROWS, accumulate),
                            weight + " " + java.util.Arrays.toString(s) + " accumulate=" + accumulate);
                }
            }
        }
    }

    @Test
    void autoRouteFollowsTheRowThresholds() {
        assertEquals(Route.GEMV, Route.of(4, 64, true));
        assertEquals(Route.ROW_DOTS, Route.of(Gemm.SMALL_M, 64, true));
        if (Gemm.WEIGHT_ROWS_M > Gemm.SMALL_M) {
            assertEquals(Route.WEIGHT_ROWS, Route.of(Gemm.SMALL_M + 1, 64, true));
            assertEquals(Route.WEIGHT_ROWS, Route.of(Gemm.WEIGHT_ROWS_M, 64, true));
        }
        assertEquals(Route.BLOCKED, Route.of(Math.max(Gemm.SMALL_M, Gemm.WEIGHT_ROWS_M) + 1, 64, true));
        assertEquals(Route.BLOCKED, Route.of(64, 64, false));
    }

    @Test
    void weightRouteRefusesOtherOperands() {
        Tensor x = random(1, 20, 8), y = random(2, 8, 6), c = Tensor.zeros(DType.F32, 20, 6);
        Operand a = new Operand(x.hostSegment(), DType.F32, 0, 8, 1), b = new Operand(y.hostSegment(), DType.F32, 0, 6, 1);
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(Route.WEIGHT_ROWS, 20, 6, 8, a, b, c.hostSegment(), 0, 6, false));
    }
}
