package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.UnaryOperator;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.RandomTensors.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every elementwise op against the CPU backend: odd sizes, permuted/narrowed/broadcast views, mixed dtypes. */
class ElementwiseOpsTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    /** A permuted, narrowed view at a nonzero offset: [13, 9, 6] -> [6, 7, 13]. */
    private static final UnaryOperator<Tensor> VIEW = t -> t.narrow(1, 2, 7).permute(2, 1, 0);

    private static double tol(DType t) {
        return switch (t) {
            case BF16 -> 1e-2;
            case F16 -> 2e-3;
            case F32 -> 2e-6;
            case F64 -> 1e-12;
            default -> 0;
        };
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void everyUnaryOpOnAStridedF32View(UnaryOp op) {
        Tensor h = random(11, DType.F32, 13, 9, 6).to(DType.F32);
        scale(h, 3); // values to about ±9 exercise the tails (sigmoid, erf, gelu)
        Tensor expected = cpu.unary(op, VIEW.apply(h));
        Tensor actual = cl.unary(op, VIEW.apply(h.to(DEVICE)));
        assertSameAsCpu(expected, actual, 1e-6, 4e-6);
    }

    @Test
    void unaryDtypesFollowTheCpu() {
        // per dtype an integer-preserving op and a float function (integers give F32), to keep the program count moderate
        Object[][] cases = {
                {DType.BF16, UnaryOp.NEG, UnaryOp.GELU}, {DType.F16, UnaryOp.ABS, UnaryOp.EXP}, {DType.F64, UnaryOp.SIGN, UnaryOp.GELU},
                {DType.I64, UnaryOp.SIGN, UnaryOp.SIGMOID}, {DType.I32, UnaryOp.SQUARE, UnaryOp.EXP}, {DType.BOOL, UnaryOp.NEG, UnaryOp.RSQRT}};
        for (Object[] c : cases) {
            Tensor h = random(12, (DType) c[0], 13, 9, 6);
            for (int k = 1; k < c.length; k++) {
                UnaryOp op = (UnaryOp) c[k];
                Tensor expected = cpu.unary(op, VIEW.apply(h));
                Tensor actual = cl.unary(op, VIEW.apply(h.to(DEVICE)));
                double tol = tol(expected.dtype());
                assertSameAsCpu(expected, actual, tol, tol);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void everyBinaryOpBroadcastsStridedF32(BinaryOp op) {
        // [7, 1, 33] (a narrowed, transposed view) with [5, 33]: both broadcast
        Tensor a = random(21, DType.F32, 33, 9).narrow(1, 1, 7).transpose(0, 1).unsqueeze(1);
        Tensor b = random(22, DType.F32, 5, 33);
        if (op == BinaryOp.POW) a = cpu.unary(UnaryOp.ABS, a); // real powers of negative bases are NaN
        if (op.isComparison()) b.setDouble(a.getDouble(0, 0, 3), 2, 3); // some equal pairs
        Tensor expected = cpu.binary(op, a, b);
        Tensor actual = cl.binary(op, dev(a), dev(b));
        assertSameAsCpu(expected, actual, 1e-6, 4e-6);
        // the other operand order and a broadcast scalar tensor
        assertSameAsCpu(cpu.binary(op, b, a), cl.binary(op, dev(b), dev(a)), 1e-6, 4e-6);
    }

    @Test
    void mixedDtypesPromoteLikeTheCpu() {
        Object[][] cases = {
                {DType.BF16, DType.F16, BinaryOp.ADD}, {DType.BF16, DType.BF16, BinaryOp.DIV}, {DType.F16, DType.F32, BinaryOp.MUL},
                {DType.F64, DType.F32, BinaryOp.SUB}, {DType.I32, DType.I64, BinaryOp.DIV}, {DType.I64, DType.F32, BinaryOp.MUL},
                {DType.BOOL, DType.BOOL, BinaryOp.ADD}, {DType.BOOL, DType.BOOL, BinaryOp.MAX}, {DType.BOOL, DType.I32, BinaryOp.LT},
                {DType.I32, DType.I32, BinaryOp.MIN}};
        int seed = 30;
        for (Object[] c : cases) {
            Tensor a = random(seed++, (DType) c[0], 7, 1, 5), b = random(seed++, (DType) c[1], 4, 1);
            BinaryOp op = (BinaryOp) c[2];
            Tensor expected = cpu.binary(op, a, b);
            Tensor actual = cl.binary(op, dev(a), dev(b));
            double tol = tol(expected.dtype());
            assertSameAsCpu(expected, actual, tol, tol);
        }
    }

    @Test
    void integerArithmeticIsExact() {
        Tensor a = random(40, DType.I64, 130), b = random(41, DType.I64, 130);
        for (BinaryOp op : new BinaryOp[]{BinaryOp.MUL, BinaryOp.GE}) {
            assertSameAsCpu(cpu.binary(op, a, b), cl.binary(op, dev(a), dev(b)), 0, 0);
        }
        Tensor base = random(42, DType.I32, 33);
        Tensor e = cpu.cast(cpu.binaryScalar(BinaryOp.MUL, cpu.unary(UnaryOp.ABS, random(43, DType.I32, 33)), 0.2), DType.I32);
        assertSameAsCpu(cpu.binary(BinaryOp.POW, base, e), cl.binary(BinaryOp.POW, dev(base), dev(e)), 0, 0);
        ArithmeticException ex = assertThrows(ArithmeticException.class,
                () -> cl.binary(BinaryOp.POW, dev(base), dev(Tensor.ofLongs(new long[]{-2}, 1))));
        assertTrue(ex.getMessage().contains("negative exponent -2"), ex.getMessage());
    }

    @Test
    void scalarOpsKeepTheCpuTyping() {
        // integral and fractional scalars: an integer tensor computes in I64 with the first, in double (giving F32) with the second
        double[] scalars = {2, -0.5, 3.25};
        Object[][] cases = {
                {DType.F32, BinaryOp.ADD}, {DType.F32, BinaryOp.POW}, {DType.BF16, BinaryOp.MUL}, {DType.BF16, BinaryOp.GT},
                {DType.I64, BinaryOp.DIV}, {DType.I64, BinaryOp.ADD}, {DType.I64, BinaryOp.EQ}, {DType.F64, BinaryOp.MAX},
                {DType.BOOL, BinaryOp.MUL}, {DType.I32, BinaryOp.POW}};
        for (Object[] c : cases) {
            DType t = (DType) c[0];
            BinaryOp op = (BinaryOp) c[1];
            Tensor h = t.isFloatingPoint() ? uniform(50, 0.1, 4, t, 6, 13) : random(50, t, 6, 13);
            h.setDouble(2, 1, 1); // EQ 2 holds somewhere
            for (double s : scalars) {
                if (op == BinaryOp.POW && !t.isFloatingPoint() && s != 2) continue;
                Tensor expected = cpu.binaryScalar(op, h.transpose(0, 1), s);
                Tensor actual = cl.binaryScalar(op, dev(h).transpose(0, 1), s);
                double tol = tol(expected.dtype());
                assertSameAsCpu(expected, actual, tol, tol);
            }
        }
        assertThrows(ArithmeticException.class, () -> cl.binaryScalar(BinaryOp.POW, dev(random(51, DType.I64, 3)), -1));
    }

    @Test
    void whereBroadcastsAllThree() {
        Tensor cond = random(60, DType.BOOL, 7, 1, 1);
        Tensor a = random(61, DType.F32, 1, 5, 33).narrow(2, 1, 31);
        Tensor b = random(62, DType.BF16, 5, 1);
        assertSameAsCpu(cpu.where(cond, a, b), cl.where(dev(cond), dev(a), dev(b)), 0, 0);
        // a float condition (non-zero = true) choosing between integers
        Tensor fc = cpu.binaryScalar(BinaryOp.MAX, random(63, DType.F32, 4, 9), 0);
        Tensor ia = random(64, DType.I64, 9), ib = random(65, DType.I32, 4, 1);
        Tensor expected = cpu.where(fc, ia, ib);
        assertEquals(DType.I64, expected.dtype());
        assertSameAsCpu(expected, cl.where(dev(fc), dev(ia), dev(ib)), 0, 0);
    }

    @Test
    void scalarsAndEmptyTensors() {
        Tensor s = Tensor.scalar(DType.F32, 1.5);
        assertSameAsCpu(cpu.unary(UnaryOp.EXP, s), cl.unary(UnaryOp.EXP, dev(s)), 0, 1e-6);
        Tensor v = random(70, DType.F32, 1, 7);
        assertSameAsCpu(cpu.binary(BinaryOp.SUB, s, v), cl.binary(BinaryOp.SUB, dev(s), dev(v)), 0, 0);
        Tensor e = cl.binary(BinaryOp.ADD, cl.allocate(DType.F32, 0, 3), cl.allocate(DType.F32, 1, 3));
        assertEquals(0, e.numel());
        assertEquals(2, e.rank());
    }

    @Test
    void incompatibleShapesNameBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.binary(BinaryOp.ADD, cl.allocate(DType.F32, 3, 4), cl.allocate(DType.F32, 5)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5]"), e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> cl.where(cl.allocate(DType.BOOL, 2), cl.allocate(DType.F32, 3), cl.allocate(DType.F32, 1)));
        assertTrue(w.getMessage().contains("[2]") && w.getMessage().contains("[3]"), w.getMessage());
    }

    private static Tensor dev(Tensor h) { return h.to(DEVICE); }

    private void scale(Tensor h, double f) { cpu.copy(cpu.binaryScalar(BinaryOp.MUL, h, f), h); }
}
