package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.backend.cpu.fused.FusedTesting.input;
import static io.jswift.backend.cpu.fused.FusedTesting.tol;
import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RoPE and SwiGLU forward/backward of the CPU kernels and of the reference composition vs NaiveFused. */
class RopeSiluMulKernelsTest {

    /** x as the models pass it: [B, T, H, D] projections viewed as [B, H, T, D]. */
    @ParameterizedTest(name = "{0} {1} B={2} H={3} T={4} D={5} R={6} batchedTable={7}")
    @CsvSource({
            "kernels, F32, 1, 1, 1, 2, 2, false", "kernels, F32, 2, 3, 7, 64, 64, false", "kernels, F32, 2, 2, 5, 80, 40, true",
            "kernels, F32, 1, 3, 3, 66, 66, true", "kernels, F64, 2, 3, 7, 8, 8, false", "kernels, F64, 2, 2, 3, 10, 4, true",
            "kernels, BF16, 1, 2, 3, 16, 16, false",
            "reference, F32, 2, 3, 7, 64, 32, false", "reference, F64, 2, 2, 3, 10, 4, true"})
    void rope(String impl, DType dtype, int b, int h, int t, int d, int r, boolean batchedTable) {
        Backend be = FusedTesting.backend(impl);
        Tensor x = random(1, dtype, b, t, h, d).transpose(1, 2), dy = random(2, dtype, b, h, t, d);
        int[] table = batchedTable ? new int[]{b, t, r} : new int[]{t, r};
        Tensor cos = random(3, dtype == DType.F64 ? DType.F64 : DType.F32, table), sin = random(4, dtype == DType.F64 ? DType.F64 : DType.F32, table);
        double tol = dtype == DType.BF16 ? 8e-3 : tol(dtype);
        double[] c = cos.toDoubleArray(), s = sin.toDoubleArray();
        double[] want = NaiveFused.rope(x.toDoubleArray(), c, s, b, h, t, d, r, batchedTable);
        Tensor y = be.rope(x, cos, sin);
        assertEquals(dtype, y.dtype());
        assertClose(want, y, tol, tol, "rope");
        assertClose(NaiveFused.ropeBackward(dy.toDoubleArray(), c, s, b, h, t, d, r, batchedTable), be.ropeBackward(dy, cos, sin), tol, tol, "rope backward");
    }

    @Test
    void ropeRejectsMismatchedTablesNamingShapes() {
        Tensor x = random(1, 1, 2, 3, 8), cos = random(2, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusedTesting.KERNELS.rope(x, cos, cos));
        assertTrue(e.getMessage().contains("[1, 2, 3, 8]") && e.getMessage().contains("[4, 8]"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} {1} shape=({2}, {3}) strided={4}")
    @CsvSource({
            "kernels, F32, 1, 1, false", "kernels, F32, 3, 7, true", "kernels, F32, 5, 33, false", "kernels, F32, 3, 1031, true",
            "kernels, F64, 3, 7, true", "kernels, F64, 2, 33, false", "kernels, BF16, 3, 17, false",
            "reference, F32, 3, 33, true", "reference, F64, 2, 7, false"})
    void siluMul(String impl, DType dtype, int rows, int c, boolean strided) {
        Backend be = FusedTesting.backend(impl);
        Tensor gate = input(5, dtype, strided, rows, c), up = input(6, dtype, false, rows, c), dy = input(7, dtype, strided, rows, c);
        double tol = dtype == DType.BF16 ? 8e-3 : tol(dtype);
        double[] gs = gate.toDoubleArray(), us = up.toDoubleArray();
        Tensor y = be.siluMul(gate, up);
        assertEquals(dtype, y.dtype());
        assertClose(NaiveFused.siluMul(gs, us), y, tol, tol, "silu(gate) * up");
        double[][] want = NaiveFused.siluMulBackward(dy.toDoubleArray(), gs, us);
        FusedResults.SiluMulGrads g = be.siluMulBackward(dy, gate, up);
        assertClose(want[0], g.dGate(), tol, tol, "dgate");
        assertClose(want[1], g.dUp(), tol, tol, "dup");
    }

    @Test
    void siluMulSaturatesWithoutNaN() {
        Tensor gate = Tensor.of(new float[]{-100, -30, 0, 30, 100}, 5), up = Tensor.of(new float[]{1, 1, 1, 1, 1}, 5);
        double[] g = gate.toDoubleArray(), u = up.toDoubleArray();
        assertClose(NaiveFused.siluMul(g, u), FusedTesting.KERNELS.siluMul(gate, up), 1e-6, 1e-6, "silu at large |g|");
        assertClose(NaiveFused.siluMulBackward(u, g, u)[0], FusedTesting.KERNELS.siluMulBackward(up, gate, up).dGate(), 1e-6, 1e-6, "dsilu at large |g|");
    }
}
