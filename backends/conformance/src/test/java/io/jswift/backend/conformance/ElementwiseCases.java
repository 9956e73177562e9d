package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.RandomTensors.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every elementwise op (unary, binary, scalar, where, in place): odd sizes, permuted/narrowed/broadcast views, every dtype. */
public abstract class ElementwiseCases {
    /** A permuted, narrowed view at a nonzero offset: [13, 9, 6] -> [6, 7, 13]. */
    private static final UnaryOperator<Tensor> VIEW = x -> x.narrow(1, 2, 7).permute(2, 1, 0);
    private static final Tolerance F32 = Tolerance.rounding(DType.F32);

    private final Target t;
    private final Backend dev, cpu;

    protected ElementwiseCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void everyUnaryOpOnAStridedF32View(UnaryOp op) {
        Tensor h = cpu.binaryScalar(BinaryOp.MUL, random(11, DType.F32, 13, 9, 6), 3); // to about ±9: the tails of sigmoid, erf, gelu
        t.same(op + " f32", cpu.unary(op, host(VIEW.apply(h))), dev.unary(op, t.put(h, VIEW)), F32);
    }

    @Test
    void unaryOpsOfEveryDtype() {
        // per dtype a few ops (integers give F32 for float functions), keeping the device's program count moderate
        Object[][] cases = {
                {DType.BF16, UnaryOp.NEG, UnaryOp.GELU, UnaryOp.SILU, UnaryOp.RSQRT},
                {DType.F16, UnaryOp.ABS, UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID},
                {DType.F64, UnaryOp.SIGN, UnaryOp.GELU, UnaryOp.LOG, UnaryOp.GELU_TANH},
                {DType.I64, UnaryOp.SIGN, UnaryOp.SIGMOID}, {DType.I32, UnaryOp.SQUARE, UnaryOp.EXP}, {DType.BOOL, UnaryOp.NEG, UnaryOp.RSQRT}};
        for (Object[] c : cases) {
            Tensor h = random(12, (DType) c[0], 13, 9, 6);
            for (int k = 1; k < c.length; k++) {
                UnaryOp op = (UnaryOp) c[k];
                Tensor expected = cpu.unary(op, host(VIEW.apply(h)));
                t.same(op + " " + c[0], expected, dev.unary(op, t.put(h, VIEW)), Tolerance.rounding(expected.dtype()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void everyBinaryOpBroadcastsStridedF32(BinaryOp op) {
        // [7, 1, 33] (a narrowed, transposed view) with [5, 33]: both broadcast
        UnaryOperator<Tensor> view = x -> x.narrow(1, 1, 7).transpose(0, 1).unsqueeze(1);
        Tensor a = random(21, DType.F32, 33, 9), b = random(22, DType.F32, 5, 33);
        if (op == BinaryOp.POW) a = cpu.unary(UnaryOp.ABS, a); // real powers of negative bases are NaN
        if (op.isComparison()) b.setDouble(view.apply(a).getDouble(0, 0, 3), 2, 3); // some equal pairs
        Tensor av = view.apply(a);
        t.same(op + " a·b", cpu.binary(op, host(av), b), dev.binary(op, t.put(a, view), t.put(b)), F32);
        t.same(op + " b·a", cpu.binary(op, b, host(av)), dev.binary(op, t.put(b), t.put(a, view)), F32);
    }

    @Test
    void mixedDtypesPromote() {
        Object[][] cases = {
                {DType.BF16, DType.F16, BinaryOp.ADD}, {DType.BF16, DType.BF16, BinaryOp.DIV}, {DType.F16, DType.F32, BinaryOp.MUL},
                {DType.F16, DType.F16, BinaryOp.SUB}, {DType.F64, DType.F32, BinaryOp.SUB}, {DType.I32, DType.I64, BinaryOp.DIV},
                {DType.I64, DType.F32, BinaryOp.MUL}, {DType.BOOL, DType.BOOL, BinaryOp.ADD}, {DType.BOOL, DType.BOOL, BinaryOp.MAX},
                {DType.BOOL, DType.I32, BinaryOp.LT}, {DType.I32, DType.I32, BinaryOp.MIN}, {DType.BF16, DType.F32, BinaryOp.GE}};
        int seed = 30;
        for (Object[] c : cases) {
            Tensor a = random(seed++, (DType) c[0], 7, 1, 5), b = random(seed++, (DType) c[1], 4, 1);
            BinaryOp op = (BinaryOp) c[2];
            Tensor expected = cpu.binary(op, a, b);
            t.same(op + " " + c[0] + "·" + c[1], expected, dev.binary(op, t.put(a), t.put(b)), Tolerance.rounding(expected.dtype()));
        }
    }

    @Test
    void integerArithmeticIsExact() {
        Tensor a = random(40, DType.I64, 130), b = random(41, DType.I64, 130);
        for (BinaryOp op : new BinaryOp[]{BinaryOp.MUL, BinaryOp.GE, BinaryOp.SUB, BinaryOp.MAX}) {
            t.same(op + " I64", cpu.binary(op, a, b), dev.binary(op, t.put(a), t.put(b)), Tolerance.EXACT);
        }
        Tensor base = random(42, DType.I32, 33);
        Tensor e = cpu.cast(cpu.binaryScalar(BinaryOp.MUL, cpu.unary(UnaryOp.ABS, random(43, DType.I32, 33)), 0.2), DType.I32);
        t.same("POW I32", cpu.binary(BinaryOp.POW, base, e), dev.binary(BinaryOp.POW, t.put(base), t.put(e)), Tolerance.EXACT);
        ArithmeticException ex = assertThrows(ArithmeticException.class,
                () -> dev.binary(BinaryOp.POW, t.put(base), t.put(Tensor.ofLongs(new long[]{-2}, 1))));
        assertTrue(ex.getMessage().contains("negative exponent -2"), ex.getMessage());
    }

    @Test
    void scalarOpsKeepTheTyping() {
        // integral and fractional scalars: an integer tensor computes in I64 with the first, in double (giving F32) with the second
        double[] scalars = {2, -0.5, 3.25};
        Object[][] cases = {
                {DType.F32, BinaryOp.ADD}, {DType.F32, BinaryOp.POW}, {DType.BF16, BinaryOp.MUL}, {DType.BF16, BinaryOp.GT},
                {DType.F16, BinaryOp.SUB}, {DType.F16, BinaryOp.DIV}, {DType.I64, BinaryOp.DIV}, {DType.I64, BinaryOp.ADD},
                {DType.I64, BinaryOp.EQ}, {DType.F64, BinaryOp.MAX}, {DType.BOOL, BinaryOp.MUL}, {DType.I32, BinaryOp.POW}};
        for (Object[] c : cases) {
            DType dt = (DType) c[0];
            BinaryOp op = (BinaryOp) c[1];
            Tensor h = dt.isFloatingPoint() ? uniform(50, 0.1, 4, dt, 6, 13) : random(50, dt, 6, 13);
            h.setDouble(2, 1, 1); // EQ 2 holds somewhere
            for (double s : scalars) {
                if (op == BinaryOp.POW && !dt.isFloatingPoint() && s != 2) continue;
                Tensor expected = cpu.binaryScalar(op, host(h.transpose(0, 1)), s);
                Tensor actual = dev.binaryScalar(op, t.put(h).transpose(0, 1), s);
                t.same(op + " " + dt + " scalar " + s, expected, actual, Tolerance.rounding(expected.dtype()));
            }
        }
        assertThrows(ArithmeticException.class, () -> dev.binaryScalar(BinaryOp.POW, t.put(random(51, DType.I64, 3)), -1));
    }

    @Test
    void whereBroadcastsAllThree() {
        Tensor cond = random(60, DType.BOOL, 7, 1, 1);
        UnaryOperator<Tensor> narrow = x -> x.narrow(2, 1, 31);
        Tensor a = random(61, DType.F32, 1, 5, 33), b = random(62, DType.BF16, 5, 1);
        t.same("where", cpu.where(cond, host(narrow.apply(a)), b), dev.where(t.put(cond), t.put(a, narrow), t.put(b)), Tolerance.EXACT);
        // a float condition (non-zero = true) choosing between integers
        Tensor fc = cpu.binaryScalar(BinaryOp.MAX, random(63, DType.F32, 4, 9), 0);
        Tensor ia = random(64, DType.I64, 9), ib = random(65, DType.I32, 4, 1);
        Tensor expected = cpu.where(fc, ia, ib);
        assertEquals(DType.I64, expected.dtype());
        t.same("where float condition", expected, dev.where(t.put(fc), t.put(ia), t.put(ib)), Tolerance.EXACT);
    }

    @Test
    void binaryIntoAddsInPlace() {
        // in-place gradient sums (torch's add_): out is the first operand, the second broadcasts
        Tensor x = random(37, DType.F32, 5, 9), y = random(38, DType.F32, 9);
        Tensor sum = cpu.binary(BinaryOp.ADD, x, y);
        Tensor xd = t.put(x);
        dev.binaryInto(BinaryOp.ADD, xd, t.put(y), xd);
        t.same("binaryInto ADD", sum, xd, F32);
        Tensor out = dev.allocate(DType.F32, 5, 9);
        dev.binaryInto(BinaryOp.MUL, t.put(x), t.put(y), out);
        t.same("binaryInto MUL", cpu.binary(BinaryOp.MUL, x, y), out, F32);
    }

    @Test
    void scalarsAndEmptyTensors() {
        Tensor s = Tensor.scalar(DType.F32, 1.5);
        t.same("exp of a 0-d tensor", cpu.unary(UnaryOp.EXP, s), dev.unary(UnaryOp.EXP, t.put(s)), F32);
        Tensor v = random(70, DType.F32, 1, 7);
        t.same("0-d minus [1, 7]", cpu.binary(BinaryOp.SUB, s, v), dev.binary(BinaryOp.SUB, t.put(s), t.put(v)), Tolerance.EXACT);
        Tensor e = dev.binary(BinaryOp.ADD, dev.allocate(DType.F32, 0, 3), dev.allocate(DType.F32, 1, 3));
        assertEquals(0, e.numel());
        assertEquals(2, e.rank());
    }

    @Test
    void incompatibleShapesNameBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.binary(BinaryOp.ADD, dev.allocate(DType.F32, 3, 4), dev.allocate(DType.F32, 5)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5]"), e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> dev.where(dev.allocate(DType.BOOL, 2), dev.allocate(DType.F32, 3), dev.allocate(DType.F32, 1)));
        assertTrue(w.getMessage().contains("[2]") && w.getMessage().contains("[3]"), w.getMessage());
    }
}
