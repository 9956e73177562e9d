package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Elementwise ops over every dtype and dtype pair: result types, rounding into them, integer exactness. */
class ElementwiseDtypesTest {
    private final CpuBackend cpu = new CpuBackend();

    /** The documented result type: BOOL for comparisons, F32 for integer division, I64 for bool/byte arithmetic. */
    private static DType resultType(BinaryOp op, DType a, DType b) {
        if (op.isComparison()) return DType.BOOL;
        DType p = DType.promote(a, b);
        if (op == BinaryOp.DIV && !p.isFloatingPoint()) return DType.F32;
        if ((p == DType.BOOL || p == DType.U8) && op != BinaryOp.MAX && op != BinaryOp.MIN) return DType.I64;
        return p;
    }

    private static double apply(BinaryOp op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
            case GT -> x > y ? 1 : 0;
            case EQ -> x == y ? 1 : 0;
            default -> throw new IllegalArgumentException(op.toString());
        };
    }

    /** {@code v} as stored in {@code t} (the dtype's own rounding, checked bit-exactly in CopyCastTest). */
    private static double roundTo(DType t, double v) {
        return Tensor.scalar(t, v).getDouble();
    }

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class, names = {"ADD", "SUB", "MUL", "DIV", "MAX", "MIN", "GT", "EQ"})
    void everyDtypePairBroadcastsAndRoundsIntoTheResultType(BinaryOp op) {
        for (DType ta : DType.values()) {
            for (DType tb : DType.values()) {
                Tensor a = random(3, ta, 4, 3).transpose(0, 1); // [3, 4] strided
                Tensor b = random(4, tb, 1, 4);
                if (op == BinaryOp.DIV) b = cpu.binaryScalar(BinaryOp.ADD, cpu.unary(UnaryOp.ABS, b), 1).to(tb); // no 0/0
                Tensor r = cpu.binary(op, a, b);
                String what = op + " " + ta + " x " + tb;
                assertEquals(resultType(op, ta, tb), r.dtype(), what);
                assertArrayEquals(new int[]{3, 4}, r.shape(), what);
                double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
                double[] expected = new double[12];
                for (int i = 0; i < 12; i++) expected[i] = roundTo(r.dtype(), apply(op, av[i], bv[i % 4]));
                assertClose(expected, r, 0, 0, what);
            }
        }
    }

    @Test
    void int64ArithmeticAndComparisonsStayExactAbove2To53() {
        long big = 1L << 53;
        Tensor a = Tensor.ofLongs(new long[]{big + 1, big + 3, -big - 1}, 3, 1);
        Tensor b = Tensor.ofLongs(new long[]{big, 1}, 1, 2); // broadcast to [3, 2]
        assertArrayEquals(new long[]{2 * big + 1, big + 2, 2 * big + 3, big + 4, -1, -big}, cpu.binary(BinaryOp.ADD, a, b).toLongArray());
        assertArrayEquals(new long[]{0, 0, 0, 1, 0, 0}, cpu.binary(BinaryOp.GT, a, cpu.binaryScalar(BinaryOp.ADD, b, big)).toLongArray());
        assertArrayEquals(new long[]{0, 0, 0}, cpu.binary(BinaryOp.EQ, a, Tensor.ofLongs(new long[]{big}, 1)).toLongArray(), "2^53+1 != 2^53");
        long huge = (1L << 60) + 1;
        assertArrayEquals(new long[]{huge + (1L << 60)}, cpu.binaryScalar(BinaryOp.ADD, Tensor.ofLongs(new long[]{huge}, 1), 0x1p60).toLongArray(),
                "integral scalars above 2^53 stay integer");
        Tensor w = cpu.where(Tensor.of(new float[]{1, 0}, 2), Tensor.ofLongs(new long[]{big + 1}, 1), Tensor.ofLongs(new long[]{-big - 1}, 1));
        assertEquals(DType.I64, w.dtype());
        assertArrayEquals(new long[]{big + 1, -big - 1}, w.toLongArray());
        assertArrayEquals(new long[]{big + 1, big + 3, big + 1}, cpu.unary(UnaryOp.ABS, cpu.unary(UnaryOp.NEG, a)).toLongArray());
        assertArrayEquals(new long[]{-(big + 1), -(big + 3), big + 1}, cpu.binary(BinaryOp.MUL, a, Tensor.ofLongs(new long[]{-1}, 1)).toLongArray());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class)
    void unaryOpsOnEveryDtype(DType t) {
        Tensor x = random(8, t, 5, 7).slice(1, 0, 7, 2); // [5, 4] stepped view
        double[] v = x.toDoubleArray();
        for (UnaryOp op : new UnaryOp[]{UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SIGN, UnaryOp.SQUARE, UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID}) {
            Tensor r = cpu.unary(op, x);
            boolean keepsInt = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.SQUARE;
            DType want = t.isFloatingPoint() ? t : keepsInt ? (t == DType.BOOL || t == DType.U8 ? DType.I64 : t) : DType.F32;
            assertEquals(want, r.dtype(), op + " of " + t);
            double[] expected = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                double e = switch (op) {
                    case NEG -> -v[i];
                    case ABS -> Math.abs(v[i]);
                    case SIGN -> Math.signum(v[i]);
                    case SQUARE -> v[i] * v[i];
                    case EXP -> Math.exp(v[i]);
                    case TANH -> Math.tanh(v[i]);
                    default -> 1 / (1 + Math.exp(-v[i]));
                };
                expected[i] = roundTo(want, e);
            }
            // f32 SIMD exp/tanh may differ from the correctly rounded value by an ulp or two; in f64 the
            // kernel's overflow-safe sigmoid form differs from this one in the last bit
            double tol = want == DType.F32 ? 3e-7 : want == DType.F64 ? 1e-15 : 0;
            assertClose(expected, r, tol, tol, op + " of " + t);
        }
    }

    @Test
    void scalarOpsKeepTheTensorsFloatTypeAndComputeF64InDouble() {
        Tensor x = random(10, DType.F64, 33);
        double[] v = x.toDoubleArray();
        double[] tenth = new double[33];
        for (int i = 0; i < 33; i++) tenth[i] = v[i] * 0.1; // 0.1 as a double, not rounded to f32 first
        assertClose(tenth, cpu.binaryScalar(BinaryOp.MUL, x, 0.1), 0, 0, "f64 * 0.1");
        for (DType t : new DType[]{DType.F16, DType.BF16, DType.F32}) {
            Tensor h = x.to(t);
            Tensor r = cpu.binaryScalar(BinaryOp.MUL, h, 0.1);
            assertEquals(t, r.dtype());
            double[] hv = h.toDoubleArray(), expected = new double[33];
            for (int i = 0; i < 33; i++) expected[i] = roundTo(t, (float) hv[i] * 0.1f); // PyTorch: f32 math, scalar as f32
            assertClose(expected, r, 0, 0, "x * 0.1 in " + t);
            assertEquals(DType.BOOL, cpu.binaryScalar(BinaryOp.LE, h, 0).dtype());
        }
        Tensor ints = Tensor.ofInts(new int[]{7, -7}, 2);
        assertClose(new double[]{3.5, -3.5}, cpu.binaryScalar(BinaryOp.MUL, ints, 0.5), 0, 0, "int * fraction");
        assertEquals(DType.F32, cpu.binaryScalar(BinaryOp.MUL, ints, 0.5).dtype());
        assertArrayEquals(new long[]{49, 49}, cpu.binaryScalar(BinaryOp.POW, ints, 2).toLongArray());
    }

    @Test
    void zeroSizeAndShapeErrors() {
        Tensor empty = Tensor.zeros(DType.F32, 0, 3);
        assertArrayEquals(new int[]{0, 3}, cpu.unary(UnaryOp.EXP, empty).shape());
        assertArrayEquals(new int[]{0, 3}, cpu.binary(BinaryOp.ADD, empty, random(1, 3)).shape());
        assertArrayEquals(new int[]{2, 0, 3}, cpu.binary(BinaryOp.MUL, random(1, 2, 1, 1), empty).shape());
        assertArrayEquals(new int[]{0, 3}, cpu.where(Tensor.zeros(DType.BOOL, 0, 1), empty, Tensor.scalar(DType.F32, 1)).shape());
        assertEquals(0, Shapes.numel(cpu.binaryScalar(BinaryOp.GT, empty, 0).shape()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.binary(BinaryOp.ADD, random(1, 2, 3), random(2, 4, 1, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 1, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.where(Tensor.zeros(DType.BOOL, 5), random(1, 3), random(2, 3)));
        assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[3]"), e.getMessage());
        assertTrue(Arrays.equals(new int[0], cpu.binary(BinaryOp.ADD, Tensor.scalar(DType.F32, 1), Tensor.scalar(DType.F64, 2)).shape()));
    }
}
