package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.stream.IntStream;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reductions whose dims coalesce into the contiguous SIMD layouts (one long row, rows summed column-wise)
 * and those that do not, against the float64 loop, at sizes that cross the kernels' chunk and block edges.
 */
class ReduceLayoutsTest {
    private final CpuBackend cpu = new CpuBackend();

    private static boolean[] mask(int rank, int bits) {
        boolean[] m = new boolean[rank];
        for (int d = 0; d < rank; d++) m[d] = (bits & (1 << d)) != 0;
        return m;
    }

    private void checkAllSubsets(ReduceOp op, Tensor x, double tol, String what) {
        int rank = x.rank();
        for (int bits = 1; bits < 1 << rank; bits++) {
            boolean[] red = mask(rank, bits);
            int[] dims = IntStream.range(0, rank).filter(d -> red[d]).toArray();
            String label = what + " " + op + " dims " + Arrays.toString(dims) + " of " + x;
            assertClose(NaiveOracle.reduce(op, x, red), cpu.reduce(op, x, dims, false), tol, tol, label);
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void rank4ContiguousAndViewsOverEverySubset(ReduceOp op) {
        Tensor x = random(11, 3, 5, 7, 33);
        checkAllSubsets(op, x, 1e-5, "contiguous");
        checkAllSubsets(op, x.permute(2, 0, 3, 1), 1e-5, "permuted");
        checkAllSubsets(op, x.slice(3, 1, 33, 3), 1e-5, "stepped");
        checkAllSubsets(op, x.narrow(1, 1, 3), 1e-5, "narrowed");
        checkAllSubsets(op, random(12, 5, 1, 33).expand(4, 5, 3, 33), 1e-5, "expanded");
        checkAllSubsets(op, random(13, 1, 1023, 1, 1), 1e-5, "size-1 dims");
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void longRowsSplitIntoChunksAgree(ReduceOp op) {
        // 3 x 150001: each row spans three 65536-element chunks plus a ragged tail
        Tensor x = random(21, 3, 150_001);
        // a sum's error scales with Σ|x| (here ~1.2e5 per row, the sums themselves ~20 after cancellation):
        // the tree-summed blocks round independently, a random walk of ~sqrt(n / block) roundings that
        // depends on the vector width (3e-5 with 8 lanes, 7e-6 with 16); 1e-9·Σ|x| is ~16000x below f32's
        // worst-case n·u·Σ|x| and 4x above what either width gives
        double absSum = Arrays.stream(x.toDoubleArray()).map(Math::abs).sum();
        double tol = op == ReduceOp.SUM ? 1e-9 * absSum : op == ReduceOp.MEAN ? 1e-9 * absSum / 150_001 : 0;
        assertClose(NaiveOracle.reduce(op, x, new boolean[]{false, true}), cpu.reduce(op, x, new int[]{1}, false), tol, 1e-6, op + " rows");
        assertClose(NaiveOracle.reduce(op, x, new boolean[]{true, true}), cpu.reduce(op, x, new int[0], false), 3 * tol, 1e-6, op + " all");
        Tensor withNaN = x.copy();
        withNaN.setDouble(Double.NaN, 1, 140_000); // in the last chunk of row 1 only
        double[] r = cpu.reduce(op, withNaN, new int[]{-1}, false).toDoubleArray();
        assertTrue(!Double.isNaN(r[0]) && Double.isNaN(r[1]) && !Double.isNaN(r[2]), op + " NaN row: " + Arrays.toString(r));
    }

    @ParameterizedTest
    @EnumSource(value = ReduceOp.class, names = {"SUM", "MEAN"})
    void columnSumsAcrossRowBlocksAndColumnBlocks(ReduceOp op) {
        // 131 rows (two full 64-row blocks and a tail), 1100 columns (two 512-column blocks and a tail)
        Tensor x = random(31, 131, 1100);
        assertClose(NaiveOracle.reduce(op, x, new boolean[]{true, false}), cpu.reduce(op, x, new int[]{0}, true), 1e-6, 1e-6, op + " [131,1100] dim 0");
        Tensor x3 = random(32, 4, 67, 3, 40); // reduced dims between kept ones: [4,·,3,40] summed over dim 1
        assertClose(NaiveOracle.reduce(op, x3, new boolean[]{false, true, false, false}), cpu.reduce(op, x3, new int[]{1}, false), 1e-6, 1e-6, op + " middle dim");
        assertClose(NaiveOracle.reduce(op, x3, new boolean[]{true, true, false, false}), cpu.reduce(op, x3, new int[]{0, 1}, false), 1e-6, 1e-6, op + " leading dims");
        Tensor inf = x.copy();
        inf.setDouble(Double.POSITIVE_INFINITY, 70, 5);
        inf.setDouble(Double.NEGATIVE_INFINITY, 71, 5);
        assertTrue(Double.isNaN(cpu.reduce(op, inf, new int[]{0}, false).getDouble(5)), "inf - inf is NaN");
    }

    @Test
    void sumsKeepDoublePrecisionOverMillionsOfElements() {
        // 2^21 copies of 0.1f: a plain f32 running sum drifts by ~1%, short f32 blocks by ~10 ulps;
        // a compensated sum lands within 2 ulps of the exact value, in rows and in columns
        int n = 1 << 21;
        Tensor x = Tensor.zeros(DType.F32, 2, n / 2);
        cpu.fill(x, 0.1);
        double exact = n * (double) 0.1f;
        double ulp = Math.ulp((float) exact);
        assertEquals(exact, cpu.reduce(ReduceOp.SUM, x, new int[0], false).getDouble(), 2 * ulp);
        assertEquals(exact / 2, cpu.reduce(ReduceOp.SUM, x, new int[]{1}, false).getDouble(0), ulp);
        Tensor tall = x.view(n / 16, 16);
        double[] columns = cpu.reduce(ReduceOp.SUM, tall, new int[]{0}, false).toDoubleArray();
        for (double c : columns) assertEquals(exact / 16, c, Math.ulp((float) (exact / 16)));
        assertEquals(0.1f, cpu.reduce(ReduceOp.MEAN, x.transpose(0, 1), new int[]{0, 1}, false).getFloat(), Math.ulp(0.1f));
    }

    @Test
    void integerReductionsAndArgmaxAreExactAbove2To53() {
        long big = 1L << 53;
        Tensor x = Tensor.ofLongs(new long[]{big, big + 1, big - 1, -big, big + 3, big + 2}, 2, 3);
        assertArrayEquals(new long[]{big + 1, big + 3}, cpu.reduce(ReduceOp.MAX, x, new int[]{1}, false).toLongArray());
        assertArrayEquals(new long[]{big - 1, -big}, cpu.reduce(ReduceOp.MIN, x.transpose(0, 1), new int[]{0}, false).toLongArray());
        assertArrayEquals(new long[]{3 * big, big + 5}, cpu.reduce(ReduceOp.SUM, x, new int[]{1}, false).toLongArray());
        assertArrayEquals(new long[]{1, 1}, cpu.argmax(x, 1, false).toLongArray());
        assertArrayEquals(new long[]{0, 0, 0}, cpu.argmax(Tensor.ofInts(new int[]{4, 4, 4, 4, 4, 4}, 2, 3), 0, false).toLongArray());
    }

    @Test
    void zeroSizeReductions() {
        Tensor rowsEmpty = Tensor.zeros(DType.F32, 0, 5);
        assertArrayEquals(new double[5], cpu.reduce(ReduceOp.SUM, rowsEmpty, new int[]{0}, false).toDoubleArray());
        assertArrayEquals(new int[]{0}, cpu.reduce(ReduceOp.MAX, rowsEmpty, new int[]{1}, false).shape()); // nothing to reduce into
        Tensor colsEmpty = Tensor.zeros(DType.F32, 5, 0);
        assertArrayEquals(new double[5], cpu.reduce(ReduceOp.SUM, colsEmpty, new int[]{1}, false).toDoubleArray());
        double[] means = cpu.reduce(ReduceOp.MEAN, colsEmpty, new int[]{1}, true).toDoubleArray();
        assertTrue(Arrays.stream(means).allMatch(Double::isNaN), Arrays.toString(means));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.reduce(ReduceOp.MIN, colsEmpty, new int[]{1}, false));
        assertTrue(e.getMessage().contains("[5, 0]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cpu.reduce(ReduceOp.SUM, colsEmpty, new int[]{1, -1}, false));
        assertEquals(7.0, cpu.reduce(ReduceOp.SUM, Tensor.scalar(DType.F32, 7), new int[0], false).getDouble());
    }
}
