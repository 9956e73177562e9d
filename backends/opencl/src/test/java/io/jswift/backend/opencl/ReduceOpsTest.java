package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reductions and argmax against the CPU backend, over every kernel path (per output item, work group, split groups). */
class ReduceOpsTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    private static final int[][] DIMS = {{}, {-1}, {0}, {0, 2}, {1}, {2, 0, 1}};

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void everyOpOverEveryDimSetOfAStridedView(ReduceOp op) {
        // [33, 7, 5] as a permuted view of [5, 33, 9] narrowed to 7 (a nonzero offset)
        Tensor h = random(1, DType.F32, 5, 33, 9);
        Tensor v = h.narrow(2, 1, 7).permute(1, 2, 0), dv = h.to(DEVICE).narrow(2, 1, 7).permute(1, 2, 0);
        for (int[] dims : DIMS) {
            for (boolean keep : new boolean[]{false, true}) {
                assertSameAsCpu(cpu.reduce(op, v, dims, keep), cl.reduce(op, dv, dims, keep), 1e-5, 1e-5);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void largeReductionsTakeTheWorkGroupPaths(ReduceOp op) {
        Tensor h = random(2, DType.F32, 130, 257);
        Tensor d = h.to(DEVICE);
        // all 33410 elements into one output: several groups and a second pass
        assertSameAsCpu(cpu.reduce(op, h, new int[]{}, false), cl.reduce(op, d, new int[]{}, false), 1e-4, 1e-5);
        // contiguous rows of 257: a group per output
        assertSameAsCpu(cpu.reduce(op, h, new int[]{1}, true), cl.reduce(op, d, new int[]{1}, true), 1e-5, 1e-5);
        // columns (reduced dim outer) with few outputs: a group per output reading with stride 257
        assertSameAsCpu(cpu.reduce(op, h, new int[]{0}, false), cl.reduce(op, d, new int[]{0}, false), 1e-5, 1e-5);
        // columns with many outputs: an item per output
        Tensor w = random(3, DType.F32, 70, 1100);
        assertSameAsCpu(cpu.reduce(op, w, new int[]{0}, false), cl.reduce(op, w.to(DEVICE), new int[]{0}, false), 1e-5, 1e-5);
    }

    @Test
    void dtypesFollowTheCpu() {
        Object[][] cases = {
                {DType.BF16, ReduceOp.SUM}, {DType.BF16, ReduceOp.MAX}, {DType.F16, ReduceOp.MEAN}, {DType.F64, ReduceOp.SUM},
                {DType.F64, ReduceOp.MIN}, {DType.I64, ReduceOp.SUM}, {DType.I64, ReduceOp.MAX}, {DType.I32, ReduceOp.MEAN},
                {DType.I32, ReduceOp.MIN}, {DType.BOOL, ReduceOp.SUM}, {DType.BOOL, ReduceOp.MAX}};
        for (Object[] c : cases) {
            DType t = (DType) c[0];
            ReduceOp op = (ReduceOp) c[1];
            Tensor base = random(4, t, 9, 130);
            Tensor h = base.transpose(0, 1), dh = base.to(DEVICE).transpose(0, 1);
            for (int[] dims : new int[][]{{}, {0}, {1}}) {
                Tensor expected = cpu.reduce(op, h, dims, false);
                double tol = expected.dtype() == DType.BF16 ? 1e-2 : expected.dtype() == DType.F16 ? 1e-3 : expected.dtype() == DType.F64 ? 1e-12 : 1e-6;
                if (!expected.dtype().isFloatingPoint()) tol = 0;
                assertSameAsCpu(expected, cl.reduce(op, dh, dims, false), tol, tol);
            }
        }
    }

    @Test
    void nanAndInfinityPropagate() {
        Tensor h = random(5, DType.F32, 4, 300);
        h.setDouble(Double.NaN, 1, 17);
        h.setDouble(Double.POSITIVE_INFINITY, 2, 250);
        h.setDouble(Double.NEGATIVE_INFINITY, 3, 3);
        for (ReduceOp op : new ReduceOp[]{ReduceOp.MAX, ReduceOp.MIN}) {
            for (int[] dims : new int[][]{{1}, {0}}) {
                assertSameAsCpu(cpu.reduce(op, h, dims, false), cl.reduce(op, h.to(DEVICE), dims, false), 0, 0);
            }
        }
        // sums as torch.sum: NaN wins, an infinity survives the compensation (the CPU backend's SIMD sum of
        // row 2 gives NaN there, so these are checked against the values themselves)
        for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN}) {
            double[] rows = cl.reduce(op, h.to(DEVICE), new int[]{1}, false).toDoubleArray();
            assertTrue(Double.isFinite(rows[0]) && Double.isNaN(rows[1]), op + " " + java.util.Arrays.toString(rows));
            assertEquals(Double.POSITIVE_INFINITY, rows[2], op.name());
            assertEquals(Double.NEGATIVE_INFINITY, rows[3], op.name());
            double[] all = cl.reduce(op, h.to(DEVICE).narrow(0, 2, 1), new int[]{}, false).toDoubleArray();
            assertEquals(Double.POSITIVE_INFINITY, all[0], op.name());
        }
    }

    @Test
    void emptyAndBroadcastInputs() {
        Tensor e = cl.allocate(DType.F32, 3, 0);
        assertSameAsCpu(cpu.reduce(ReduceOp.SUM, Tensor.zeros(DType.F32, 3, 0), new int[]{1}, false), cl.reduce(ReduceOp.SUM, e, new int[]{1}, false), 0, 0);
        assertArrayEquals(new int[]{0}, cl.reduce(ReduceOp.SUM, e, new int[]{0}, false).shape());
        // an expanded (stride 0) input counts each broadcast copy
        Tensor row = random(6, DType.F32, 1, 77);
        assertSameAsCpu(cpu.reduce(ReduceOp.SUM, row.expand(90, 77), new int[]{}, false),
                cl.reduce(ReduceOp.SUM, row.to(DEVICE).expand(90, 77), new int[]{}, false), 1e-4, 1e-5);
    }

    @Test
    void badDimsFailClearly() {
        Tensor d = cl.allocate(DType.F32, 3, 4);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> cl.reduce(ReduceOp.SUM, d, new int[]{1, -1}, false));
        assertTrue(twice.getMessage().contains("more than once"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cl.reduce(ReduceOp.SUM, d, new int[]{2}, false));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> cl.reduce(ReduceOp.MAX, cl.allocate(DType.F32, 3, 0), new int[]{1}, false));
        assertTrue(empty.getMessage().contains("[3, 0]"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cl.argmax(cl.allocate(DType.F32, 0, 2), 0, false));
    }

    @Test
    void argmaxTakesTheFirstMaximum() {
        // BF16 rounding makes many ties; NaN counts as the maximum
        for (DType t : new DType[]{DType.F32, DType.BF16}) {
            Tensor h = random(7, t, 6, 33, 300);
            cpu.fill(h.select(0, 2).narrow(1, 10, 40), 5); // 40 equal maxima in some rows
            h.setDouble(Double.NaN, 3, 4, 200);
            h.setDouble(Double.NaN, 3, 4, 250);
            Tensor v = h.permute(2, 0, 1), dv = h.to(DEVICE).permute(2, 0, 1); // [300, 6, 33]
            for (int dim = -3; dim < 3; dim++) {
                for (boolean keep : new boolean[]{false, true}) {
                    Tensor expected = cpu.argmax(v, dim, keep);
                    assertEquals(DType.I64, expected.dtype());
                    assertSameAsCpu(expected, cl.argmax(dv, dim, keep), 0, 0);
                }
            }
        }
    }

    @Test
    void argmaxOfLargeIntegersIsExact() {
        // 2^53 + 1 and 2^53 are equal as doubles and floats, not as longs
        long big = 1L << 53;
        long[] data = new long[200];
        for (int i = 0; i < data.length; i++) data[i] = big - i % 7;
        data[150] = big + 1;
        Tensor h = Tensor.ofLongs(data, 2, 100);
        for (int dim : new int[]{0, 1}) assertSameAsCpu(cpu.argmax(h, dim, false), cl.argmax(h.to(DEVICE), dim, false), 0, 0);
        Tensor flat = Tensor.ofLongs(data, 200);
        assertEquals(150, cl.argmax(flat.to(DEVICE), 0, false).item());
        assertEquals(big + 1, cl.reduce(ReduceOp.MAX, flat.to(DEVICE), new int[]{}, false).to(io.jswift.tensor.Device.CPU).getLong());
    }
}
