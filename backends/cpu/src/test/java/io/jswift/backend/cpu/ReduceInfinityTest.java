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

    @Test
    void columnWithInfinitySumsToInfinity() {
        // the outer-sum path (reduced dim outermost): each column is Kahan-added across the rows
        Tensor x = Tensor.zeros(DType.F32, 5, 40);
        for (int r = 0; r < 5; r++) for (int c = 0; c < 40; c++) x.setDouble(0.5, r, c);
        x.setDouble(Double.POSITIVE_INFINITY, 2, 3);
        x.setDouble(Double.NEGATIVE_INFINITY, 1, 17);
        x.setDouble(Double.POSITIVE_INFINITY, 3, 17);
        x.setDouble(Double.NaN, 4, 30);
        for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN}) {
            double[] cols = cpu.reduce(op, x, new int[]{0}, false).toDoubleArray();
            assertEquals(Double.POSITIVE_INFINITY, cols[3], op.name());
            assertTrue(Double.isNaN(cols[17]), op + ": inf + -inf");
            assertTrue(Double.isNaN(cols[30]), op + ": NaN");
            assertEquals(op == ReduceOp.SUM ? 2.5 : 0.5, cols[0], 1e-6, op.name());
        }
    }
}
