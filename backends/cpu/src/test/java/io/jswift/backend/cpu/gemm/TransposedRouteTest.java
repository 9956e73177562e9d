package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.gemm.Gemm.Route;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Narrow, tall products (LoRA's dB = dYᵀ·h) computed as Cᵀ = Bᵀ·Aᵀ: against float64, and the blocked GEMM's bits. */
class TransposedRouteTest {
    @Test
    void matchesFloat64AndTheBlockedBits() {
        for (int[] s : new int[][]{{64, 1, 1}, {65, 8, 33}, {Gemm.NARROW_M, 3, 20}, {896, 8, 1032}, {130, 16, 2 * Gemm.KC + 1}, {300, 5, 7}}) {
            GemmCase c = GemmCase.transposedA(s[0], s[1], s[2], s[0] * 7L + s[1] + s[2]);
            for (boolean accumulate : new boolean[]{false, true}) {
                String what = Arrays.toString(s) + " accumulate=" + accumulate;
                double[] want = c.expected(accumulate);
                float[] got = c.run(Route.TRANSPOSED, accumulate);
                double tol = 2e-5 * Math.sqrt(s[2] + 1);
                for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol * (1 + Math.abs(want[i])), what + " at " + i);
                assertArrayEquals(c.run(Route.BLOCKED, accumulate), got, what);
            }
        }
    }

    @Test
    void autoRouteTakesItForNarrowTallProductsOnly() {
        if (Gemm.NARROW_N < 8) return; // turned off by -Djswift.gemm.narrowN
        assertEquals(Route.TRANSPOSED, Route.of(896, 8, false));
        assertEquals(Route.BLOCKED, Route.of(Gemm.NARROW_M - 1, 8, false));
        assertEquals(Route.BLOCKED, Route.of(896, Gemm.NARROW_N + 1, false));
        assertNotEquals(Route.TRANSPOSED, Route.of(896, 8, true)); // B = Wᵀ products keep their own kernels
    }
}
