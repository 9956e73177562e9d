package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reductions and argmax: every dim set of strided views, sizes that take every kernel path, every dtype, NaN and ±inf. */
public abstract class ReduceCases {
    private static final int[][] DIMS = {{}, {-1}, {0}, {0, 2}, {1}, {2, 0, 1}};
    private static final Tolerance SUMS = new Tolerance(1e-4, 1e-5);

    private final Target t;
    private final Backend dev, cpu;

    protected ReduceCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    private void check(String what, ReduceOp op, Tensor h, UnaryOperator<Tensor> view, int[] dims, boolean keep, Tolerance tol) {
        Tensor expected = cpu.reduce(op, host(view.apply(h)), dims, keep);
        t.same(what + " " + op + " dims " + Arrays.toString(dims) + (keep ? " keepDim" : ""), expected,
                dev.reduce(op, t.put(h, view), dims, keep), tol);
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void everyOpOverEveryDimSetOfAStridedView(ReduceOp op) {
        // [33, 7, 5] as a permuted view of [5, 33, 9] narrowed to 7 (a nonzero offset)
        Tensor h = random(1, DType.F32, 5, 33, 9);
        for (int[] dims : DIMS) {
            for (boolean keep : new boolean[]{false, true}) check("view", op, h, x -> x.narrow(2, 1, 7).permute(1, 2, 0), dims, keep, Tolerance.of(1e-5));
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void largeReductionsTakeEveryKernelPath(ReduceOp op) {
        Tensor h = random(2, DType.F32, 130, 257);
        UnaryOperator<Tensor> same = x -> x;
        check("all 33410 into one", op, h, same, new int[]{}, false, SUMS);        // several groups and a second pass
        check("rows of 257", op, h, same, new int[]{1}, true, Tolerance.of(1e-5));  // a group per output
        check("columns, few outputs", op, h, same, new int[]{0}, false, Tolerance.of(1e-5)); // stride-257 reads
        check("columns, many outputs", op, random(3, DType.F32, 70, 1100), same, new int[]{0}, false, Tolerance.of(1e-5));
    }

    @Test
    void everyDtype() {
        Object[][] cases = {
                {DType.BF16, ReduceOp.SUM}, {DType.BF16, ReduceOp.MAX}, {DType.F16, ReduceOp.MEAN}, {DType.F16, ReduceOp.MIN},
                {DType.F64, ReduceOp.SUM}, {DType.F64, ReduceOp.MIN}, {DType.I64, ReduceOp.SUM}, {DType.I64, ReduceOp.MAX},
                {DType.I32, ReduceOp.MEAN}, {DType.I32, ReduceOp.MIN}, {DType.BOOL, ReduceOp.SUM}, {DType.BOOL, ReduceOp.MAX}};
        for (Object[] c : cases) {
            Tensor base = random(4, (DType) c[0], 9, 130);
            for (int[] dims : new int[][]{{}, {0}, {1}}) {
                Tensor expected = cpu.reduce((ReduceOp) c[1], host(base.transpose(0, 1)), dims, false);
                Tolerance tol = expected.dtype() == DType.F32 ? Tolerance.of(1e-6) : Tolerance.accumulated(expected.dtype());
                check(c[0].toString(), (ReduceOp) c[1], base, x -> x.transpose(0, 1), dims, false, tol);
            }
        }
    }

    @Test
    void nanAndInfinityPropagateAsInTorch() {
        Tensor h = random(5, DType.F32, 4, 300);
        h.setDouble(Double.NaN, 1, 17);
        h.setDouble(Double.POSITIVE_INFINITY, 2, 250);
        h.setDouble(Double.NEGATIVE_INFINITY, 3, 3);
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] dims : new int[][]{{1}, {0}}) check("NaN/inf", op, h, x -> x, dims, false, SUMS);
        }
        // torch.sum: NaN wins, an infinity survives (a compensated sum must not turn it into NaN)
        double[] rows = dev.reduce(ReduceOp.SUM, t.put(h), new int[]{1}, false).toDoubleArray();
        assertTrue(Double.isFinite(rows[0]) && Double.isNaN(rows[1]), Arrays.toString(rows));
        assertEquals(Double.POSITIVE_INFINITY, rows[2]);
        assertEquals(Double.NEGATIVE_INFINITY, rows[3]);
        assertEquals(Double.POSITIVE_INFINITY, dev.reduce(ReduceOp.MEAN, t.put(h).narrow(0, 2, 1), new int[]{}, false).item());
    }

    @Test
    void emptyAndBroadcastInputs() {
        Tensor e = dev.allocate(DType.F32, 3, 0);
        t.same("sum of empty rows", cpu.reduce(ReduceOp.SUM, Tensor.zeros(DType.F32, 3, 0), new int[]{1}, false),
                dev.reduce(ReduceOp.SUM, e, new int[]{1}, false), Tolerance.EXACT);
        assertArrayEquals(new int[]{0}, dev.reduce(ReduceOp.SUM, e, new int[]{0}, false).shape());
        // an expanded (stride 0) input counts each broadcast copy
        check("expanded row", ReduceOp.SUM, random(6, DType.F32, 1, 77), x -> x.expand(90, 77), new int[]{}, false, SUMS);
    }

    @Test
    void badDimsFailClearly() {
        Tensor d = dev.allocate(DType.F32, 3, 4);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> dev.reduce(ReduceOp.SUM, d, new int[]{1, -1}, false));
        assertTrue(twice.getMessage().contains("more than once"), twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.reduce(ReduceOp.SUM, d, new int[]{2}, false));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> dev.reduce(ReduceOp.MAX, dev.allocate(DType.F32, 3, 0), new int[]{1}, false));
        assertTrue(empty.getMessage().contains("[3, 0]"), empty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.argmax(dev.allocate(DType.F32, 0, 2), 0, false));
    }

    @Test
    void argmaxTakesTheFirstMaximum() {
        // bf16 rounding makes many ties; NaN counts as the maximum
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            Tensor h = random(7, dt, 6, 33, 300);
            cpu.fill(h.select(0, 2).narrow(1, 10, 40), 5); // 40 equal maxima in some rows
            h.setDouble(Double.NaN, 3, 4, 200);
            h.setDouble(Double.NaN, 3, 4, 250);
            UnaryOperator<Tensor> view = x -> x.permute(2, 0, 1); // [300, 6, 33]
            for (int dim = -3; dim < 3; dim++) {
                for (boolean keep : new boolean[]{false, true}) {
                    Tensor expected = cpu.argmax(host(view.apply(h)), dim, keep);
                    assertEquals(DType.I64, expected.dtype());
                    t.same("argmax " + dt + " dim " + dim, expected, dev.argmax(t.put(h, view), dim, keep), Tolerance.EXACT);
                }
            }
        }
    }

    @Test
    void argmaxAndMaxOfLargeIntegersAreExact() {
        // 2^53 + 1 and 2^53 are equal as doubles and floats, not as longs
        long big = 1L << 53;
        long[] data = new long[200];
        for (int i = 0; i < data.length; i++) data[i] = big - i % 7;
        data[150] = big + 1;
        Tensor h = Tensor.ofLongs(data, 2, 100);
        for (int dim : new int[]{0, 1}) t.same("argmax I64", cpu.argmax(h, dim, false), dev.argmax(t.put(h), dim, false), Tolerance.EXACT);
        Tensor flat = Tensor.ofLongs(data, 200);
        assertEquals(150, dev.argmax(t.put(flat), 0, false).item());
        assertEquals(big + 1, dev.reduce(ReduceOp.MAX, t.put(flat), new int[]{}, false).to(Device.CPU).getLong());
    }
}
