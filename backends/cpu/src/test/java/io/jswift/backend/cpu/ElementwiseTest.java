package io.jswift.backend.cpu;

import io.jswift.backend.cpu.kernels.ScalarMath;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.DoubleUnaryOperator;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElementwiseTest {
    private final CpuBackend cpu = new CpuBackend();

    /** Independent float64 definitions (erf values checked against known digits below). */
    private static DoubleUnaryOperator oracle(UnaryOp op) {
        return switch (op) {
            case NEG -> x -> -x;
            case ABS -> Math::abs;
            case SIGN -> Math::signum;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case SQRT -> Math::sqrt;
            case RSQRT -> x -> 1 / Math.sqrt(x);
            case RECIPROCAL -> x -> 1 / x;
            case SQUARE -> x -> x * x;
            case SIN -> Math::sin;
            case COS -> Math::cos;
            case TANH -> Math::tanh;
            case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
            case SILU -> x -> x / (1 + Math.exp(-x));
            case RELU -> x -> Math.max(0, x);
            case GELU -> x -> 0.5 * x * ScalarMath.erfc(-x / Math.sqrt(2));
            case GELU_TANH -> x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case ERF -> ScalarMath::erf;
        };
    }

    @Test
    void erfMatchesKnownValues() {
        // digits of erf from the C library (Python math.erf)
        assertEquals(0.8427007929497149, ScalarMath.erf(1), 1e-15);
        assertEquals(-0.3286267594591274, ScalarMath.erf(-0.3), 1e-15);
        assertEquals(0.9953222650189527, ScalarMath.erf(2), 1e-15);
        assertEquals(0.9999779095030014, ScalarMath.erf(3), 1e-15);
        assertEquals(0.999593047982555, ScalarMath.erf(2.5), 1e-15);
        // erfc keeps its relative accuracy where 1 - erf would round to 0 (Python math.erfc digits)
        double[][] erfc = {{0.5, 0.4795001221869535}, {2.5, 0.0004069520174449589}, {3.0, 2.2090496998585438e-05},
                {5.92, 5.657910571379924e-17}, {10.0, 2.088487583762545e-45}, {26.0, 5.663192408856143e-296}, {-1.0, 1.842700792949715}};
        for (double[] c : erfc) assertEquals(c[1], ScalarMath.erfc(c[0]), 1e-12 * c[1], "erfc(" + c[0] + ")");
        assertEquals(-2.331939550116165e-16, ScalarMath.unary(UnaryOp.GELU, -8.374), 1e-12 * 2.4e-16, "gelu tail");
    }

    @Test
    void simdGeluIsExactToAFewUlpsOverTheWholeRange() {
        // a dense grid over every regime: underflow, the erfc tail, the middle, saturation; plus inf/NaN
        int n = 270_001;
        float[] x = new float[n + 3];
        for (int i = 0; i < n; i++) x[i] = -15f + 27f * i / (n - 1);
        x[n] = Float.POSITIVE_INFINITY;
        x[n + 1] = Float.NaN;
        x[n + 2] = -0f;
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) expected[i] = (float) (0.5 * x[i] * ScalarMath.erfc(-x[i] / Math.sqrt(2)));
        // 1e-6 relative is ~16 f32 ulps; the kernel's measured worst case is ~8. atol covers f32 subnormals.
        assertClose(expected, cpu.unary(UnaryOp.GELU, Tensor.of(x, x.length)), 1e-37, 1e-6, "gelu grid");
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unaryOpsOnOddSizesAndViews(UnaryOp op) {
        for (int n : new int[]{1, 3, 7, 33, 1023}) {
            Tensor x = random(n, 2, n);
            if (op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT) x = cpu.unary(UnaryOp.ABS, x);
            for (Tensor in : new Tensor[]{x, x.transpose(0, 1), x.slice(1, 0, n, 2)}) {
                double[] v = in.toDoubleArray();
                double[] expected = new double[v.length];
                for (int i = 0; i < v.length; i++) expected[i] = oracle(op).applyAsDouble(v[i]);
                assertClose(expected, cpu.unary(op, in), 1e-6, 2e-6, op + " n=" + n);
                double[] e64 = expected;
                assertClose(e64, cpu.unary(op, in.to(DType.F64)), 1e-13, 1e-13, op + " f64 n=" + n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = BinaryOp.class)
    void binaryOpsWithBroadcasting(BinaryOp op) {
        int[][][] shapes = {{{3, 4}, {3, 4}}, {{2, 3, 4}, {4}}, {{3, 1}, {1, 4}}, {{}, {5, 2}}, {{1023}, {1}}, {{2, 1, 33}, {7, 1}}, {{0, 3}, {3}}};
        for (int[][] s : shapes) {
            Tensor a = random(1, s[0]), b = random(2, s[1]);
            if (op == BinaryOp.POW) a = cpu.unary(UnaryOp.ABS, a);
            double[] expected = NaiveOracle.binary(a, b, (x, y) -> ScalarMath.binary(op, x, y));
            Tensor r = cpu.binary(op, a, b);
            assertEquals(op.isComparison() ? DType.BOOL : DType.F32, r.dtype());
            assertClose(expected, r, 1e-6, 1e-6, op + " " + java.util.Arrays.deepToString(s));
        }
    }

    @Test
    void binaryOnNonContiguousViewsAndScalars() {
        Tensor a = random(3, 6, 5).transpose(0, 1);           // [5, 6] strided
        Tensor b = random(4, 5, 12).slice(1, 0, 12, 2);         // [5, 6] step 2
        assertClose(NaiveOracle.binary(a, b, (x, y) -> x * y), cpu.binary(BinaryOp.MUL, a, b), 1e-7, 1e-6, "mul views");
        Tensor e = random(5, 1, 6).expand(5, 6);                // stride 0
        assertClose(NaiveOracle.binary(a, e, Double::sum), cpu.binary(BinaryOp.ADD, a, e), 1e-7, 1e-6, "add expanded");
        double[] v = a.toDoubleArray();
        double[] expected = new double[v.length];
        for (int i = 0; i < v.length; i++) expected[i] = v[i] * 0.5;
        assertClose(expected, cpu.binaryScalar(BinaryOp.MUL, a, 0.5), 1e-7, 1e-6, "scalar mul");
        assertEquals(DType.BF16, cpu.binaryScalar(BinaryOp.ADD, a.to(DType.BF16), 1).dtype());
        assertThrows(IllegalArgumentException.class, () -> cpu.binary(BinaryOp.ADD, random(1, 3, 4), random(2, 5)));
    }

    @Test
    void integerArithmeticIsExact() {
        long big = (1L << 53) + 1;
        Tensor a = Tensor.ofLongs(new long[]{big, -7, 9}, 3), b = Tensor.ofLongs(new long[]{2, 2, -4}, 3);
        assertArrayEquals(new long[]{big + 2, -5, 5}, cpu.binary(BinaryOp.ADD, a, b).toLongArray());
        assertArrayEquals(new long[]{2 * big, -14, -36}, cpu.binary(BinaryOp.MUL, a, b).toLongArray());
        assertEquals(DType.F32, cpu.binary(BinaryOp.DIV, Tensor.ofInts(new int[]{7}, 1), Tensor.ofInts(new int[]{2}, 1)).dtype());
        assertArrayEquals(new long[]{big - 2}, cpu.binaryScalar(BinaryOp.SUB, Tensor.ofLongs(new long[]{big}, 1), 2).toLongArray());
    }

    @Test
    void whereBroadcastsAllThree() {
        Tensor cond = cpu.binaryScalar(BinaryOp.GT, random(1, 3, 1), 0);
        Tensor a = random(2, 1, 4), b = random(3, 3, 4);
        double[] c = cond.toDoubleArray(), av = a.toDoubleArray(), bv = b.toDoubleArray();
        double[] expected = new double[12];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) expected[i * 4 + j] = c[i] != 0 ? av[j] : bv[i * 4 + j];
        assertClose(expected, cpu.where(cond, a, b), 0, 0, "where");
    }

    @Test
    void nanPropagatesThroughMaxAndRelu() {
        Tensor a = Tensor.of(new float[]{Float.NaN, 1, -2}, 3);
        Tensor m = cpu.binary(BinaryOp.MAX, a, Tensor.of(new float[]{0, 0, 0}, 3));
        assertTrue(Double.isNaN(m.getDouble(0)));
        assertTrue(Double.isNaN(cpu.unary(UnaryOp.RELU, a).getDouble(0)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL"})
    void castRoundTripsThroughF64(String name) {
        DType t = DType.valueOf(name);
        Tensor x = random(7, t, 3, 33);
        Tensor back = cpu.cast(cpu.cast(x, DType.F64), t);
        assertArrayEquals(x.toDoubleArray(), back.toDoubleArray(), 0);
        Tensor strided = x.transpose(0, 1);
        assertArrayEquals(strided.toDoubleArray(), cpu.cast(strided, DType.F64).toDoubleArray(), 0);
    }

    @Test
    void bf16RoundsToNearestEvenLikeTorch() {
        // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0); 1 + 3·2^-8 ties up to 1.015625
        float[] in = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, Float.POSITIVE_INFINITY, -0f, 3.4e38f};
        Tensor bf = cpu.cast(Tensor.of(in, in.length), DType.BF16);
        assertEquals(1.0, bf.getDouble(0));
        assertEquals(1.015625, bf.getDouble(1));
        assertEquals(1.0078125, bf.getDouble(2));
        assertEquals(Double.POSITIVE_INFINITY, bf.getDouble(3));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(bf.getFloat(4)));
        assertEquals(Double.POSITIVE_INFINITY, bf.getDouble(5)); // rounds past the largest bf16
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(Float.NaN))));
        Tensor h = cpu.cast(Tensor.of(new float[]{65520f, 1f / 3}, 2), DType.F16);
        assertEquals(Double.POSITIVE_INFINITY, h.getDouble(0));
        assertEquals(0.333251953125, h.getDouble(1));
    }

    @Test
    void binaryIntoWritesInPlaceAndIntoViews() {
        Tensor a = random(1, 6, 33), b = random(2, 33);          // b broadcast over rows
        double[] expected = cpu.binary(BinaryOp.ADD, a, b).toDoubleArray();
        cpu.binaryInto(BinaryOp.ADD, a, b, a);                    // torch's a.add_(b)
        assertArrayEquals(expected, a.toDoubleArray(), 0);
        Tensor x = random(3, 4, 5), y = random(4, 4, 5);
        Tensor dst = Tensor.zeros(DType.F32, 5, 4).transpose(0, 1); // a strided destination
        cpu.binaryInto(BinaryOp.MUL, x, y, dst);
        assertArrayEquals(cpu.binary(BinaryOp.MUL, x, y).toDoubleArray(), dst.contiguous().toDoubleArray(), 0);
        Tensor d = random(5, DType.F64, 3, 2);
        double[] twice = cpu.binaryScalar(BinaryOp.MUL, d, 2).toDoubleArray();
        cpu.binaryInto(BinaryOp.MUL, d, Tensor.scalar(DType.F64, 2), d);
        assertArrayEquals(twice, d.toDoubleArray(), 0);
        assertThrows(IllegalArgumentException.class, () -> cpu.binaryInto(BinaryOp.ADD, random(6, 2, 3), random(7, 2, 3), Tensor.zeros(DType.F32, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> cpu.binaryInto(BinaryOp.ADD, random(6, 2, 3), random(7, 2, 3), Tensor.zeros(DType.F64, 2, 3)));
        Tensor bcast = Tensor.zeros(DType.F32, 1, 3).expand(2, 3);
        assertThrows(IllegalArgumentException.class, () -> cpu.binaryInto(BinaryOp.ADD, random(6, 2, 3), random(7, 2, 3), bcast), "overlapping destination");
    }
}
