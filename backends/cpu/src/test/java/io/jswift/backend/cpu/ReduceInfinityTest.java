package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** torch.sum of a row holding +inf is inf (the compensated SIMD sum must not turn it into NaN). */
class ReduceInfinityTest {
    private final CpuBackend cpu = new CpuBackend();

    @Test
    void longRowWithInfinitySumsToInfinity() {
        for (int n : new int[]{3, 300, 1000}) {
            Tensor x = Tensor.zeros(DType.F32, n);
            for (int i = 0; i < n; i++) x.setDouble(0.5, i);
            x.setDouble(Double.POSITIVE_INFINITY, n / 2);
            assertEquals(Double.POSITIVE_INFINITY, cpu.reduce(ReduceOp.SUM, x, new int[0], false).item(), "n=" + n);
            assertEquals(Double.POSITIVE_INFINITY, cpu.reduce(ReduceOp.MEAN, x, new int[0], false).item(), "n=" + n);
            x.setDouble(Double.NEGATIVE_INFINITY, 0);
            assertTrue(Double.isNaN(cpu.reduce(ReduceOp.SUM, x, new int[0], false).item()), "inf + -inf, n=" + n);
        }
    }
}
