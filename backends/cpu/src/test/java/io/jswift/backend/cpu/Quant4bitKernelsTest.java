package io.jswift.backend.cpu;

import io.jswift.backend.cpu.gemm.Gemm4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Blockwise4bit;
import io.jswift.tensor.quant.Blockwise8bit;
import io.jswift.tensor.quant.DynamicMap;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.QuantReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU 4-bit kernels (dequantize, GEMV, GEMM forward and input gradient) on plain and double-quantized absmax,
 * NF4 and FP4, blocksizes 64 to 256 and odd sizes, against the float64 product of the host reference's dequantized
 * weight ({@link Blockwise4bit#dequantize}) and against the reference composition ({@link QuantReference}).
 */
class Quant4bitKernelsTest {
    private final CpuBackend cpu = new CpuBackend();

    /** A random [n, k] weight quantized with {@code blocksize}, absmax plain or double quantized as bnb does (blocks of 256). */
    private record Case(Weight4bit w, float[] dequantized) {}

    private static Case quantize(long seed, int n, int k, FourBitType type, int blocksize, boolean doubleQuant) {
        Random r = new Random(seed);
        float[] v = new float[n * k];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.3);
        if (v.length > 2 * blocksize) for (int i = blocksize; i < 2 * blocksize; i++) v[i] = 0; // an all-zero block
        Blockwise4bit.Packed p = Blockwise4bit.quantize(v, type, blocksize);
        Tensor packed = QuantStateTensors.bytes(p.data(), p.data().length, 1);
        float[] absmax = p.absmax();
        if (!doubleQuant) {
            return new Case(new Weight4bit(packed, new Weight4bit.Plain(Tensor.of(absmax, absmax.length)), type, blocksize, new int[]{n, k}),
                    Blockwise4bit.dequantize(p.data(), absmax, type, blocksize, v.length));
        }
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / absmax.length);
        float[] centered = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) centered[i] = absmax[i] - offset;
        float[] code = DynamicMap.create();
        Blockwise8bit.Quantized q = Blockwise8bit.quantize(centered, code, Blockwise8bit.NESTED_BLOCKSIZE);
        float[] decoded = Blockwise8bit.dequantize(q.codes(), q.absmax(), code, Blockwise8bit.NESTED_BLOCKSIZE);
        for (int i = 0; i < decoded.length; i++) decoded[i] += offset;
        Weight4bit.Nested nested = new Weight4bit.Nested(QuantStateTensors.bytes(q.codes(), q.codes().length), Tensor.of(q.absmax(), q.absmax().length),
                Tensor.of(code, 256), Blockwise8bit.NESTED_BLOCKSIZE, offset);
        return new Case(new Weight4bit(packed, nested, type, blocksize, new int[]{n, k}),
                Blockwise4bit.dequantize(p.data(), decoded, type, blocksize, v.length));
    }

    private static Tensor randn(long seed, int rows, int cols) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, rows, cols);
    }

    private static float round(float v, DType dtype) {
        return dtype == DType.BF16 ? Half.bf16ToFloat(Half.floatToBf16(v)) : v;
    }

    /** x · op(W) in float64 over the dequantized weight (rounded to {@code dtype}), with Σ|x·w| for the tolerance. */
    private static void assertProduct(float[] x, float[] w, int m, int n, int k, boolean transW, DType dtype, float[] got, double rel, String what) {
        int inner = transW ? k : n, outer = transW ? n : k;
        for (int i = 0; i < m; i++) {
            for (int o = 0; o < outer; o++) {
                double exact = 0, mag = 0;
                for (int c = 0; c < inner; c++) {
                    double p = (double) x[i * inner + c] * round(transW ? w[o * k + c] : w[c * k + o], dtype);
                    exact += p;
                    mag += Math.abs(p);
                }
                assertEquals(exact, got[i * outer + o], rel * mag + 1e-7, what + " [" + i + "," + o + "]");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"NF4,64,false", "NF4,64,true", "FP4,64,true", "FP4,128,false", "NF4,256,true", "FP4,256,true"})
    void dequantizeDecodesPlainAndNestedAbsmaxBitExactly(FourBitType type, int blocksize, boolean doubleQuant) {
        Case c = quantize(3, 37, 150, type, blocksize, doubleQuant); // 5550 elements: a partial last block
        for (DType dt : new DType[]{DType.F32, DType.BF16}) {
            float[] kernel = cpu.dequantize4bit(c.w(), dt).toFloatArray();
            float[] composed = QuantReference.dequantize4bit(cpu, c.w().packed(), QuantReference.absmax(cpu, c.w()), type, blocksize,
                    c.w().shape(), dt).toFloatArray();
            for (int i = 0; i < kernel.length; i++) {
                int want = Float.floatToRawIntBits(round(c.dequantized()[i], dt));
                assertEquals(want, Float.floatToRawIntBits(kernel[i]), dt + " kernel w[" + i + "]");
                assertEquals(want, Float.floatToRawIntBits(composed[i]), dt + " reference w[" + i + "]");
            }
        }
    }

    /** The decode GEMV: 1 to 8 rows of x (one row alone, then passes of four with padding), blocks spanning rows. */
    @ParameterizedTest
    @CsvSource({"NF4,64,false", "NF4,64,true", "FP4,64,false", "FP4,64,true", "NF4,128,true", "FP4,256,false"})
    void gemvMatchesTheDequantizedProduct(FourBitType type, int blocksize, boolean doubleQuant) {
        for (int[] nk : new int[][]{{37, 192}, {5, 64}, {16, 320}, {9, 100}}) { // K = 192 with blocks of 128 / 256 straddles rows; 100 is not a chunk multiple
            int n = nk[0], k = nk[1];
            Case c = quantize(n * 7L + k, n, k, type, blocksize, doubleQuant);
            for (int m : new int[]{1, 2, 3, 5, 8}) {
                Tensor x = randn(m * 11L + k, m, k);
                float[] got = cpu.matmul4bit(x, c.w(), true, DType.F32).toFloatArray();
                assertProduct(x.toFloatArray(), c.dequantized(), m, n, k, true, DType.F32, got, 1e-6, type + " m=" + m + " n=" + n + " k=" + k);
                float[] ref = QuantReference.matmul4bit(cpu, x, c.w().packed(), QuantReference.absmax(cpu, c.w()), type, blocksize, c.w().shape(),
                        DType.F32).toFloatArray();
                assertProduct(x.toFloatArray(), c.dequantized(), m, n, k, true, DType.F32, ref, 1e-6, "reference m=" + m);
            }
        }
    }

    /** bf16 weights: each weight is bf16(code · absmax) exactly, as the dequantized bf16 tensor holds it. */
    @ParameterizedTest
    @CsvSource({"NF4,false", "NF4,true", "FP4,true"})
    void bf16GemvRoundsEachWeightAsTheDequantizedTensor(FourBitType type, boolean doubleQuant) {
        int n = 23, k = 256;
        Case c = quantize(41, n, k, type, 64, doubleQuant);
        for (int m : new int[]{1, 4}) {
            Tensor x = cpu.cast(randn(42, m, k), DType.BF16);
            Tensor y = cpu.matmul4bit(x, c.w(), true, DType.BF16);
            assertEquals(DType.BF16, y.dtype());
            float[] got = y.toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int o = 0; o < n; o++) {
                    double exact = 0;
                    for (int j = 0; j < k; j++) exact += (double) x.toFloatArray()[i * k + j] * round(c.dequantized()[o * k + j], DType.BF16);
                    assertEquals(exact, got[i * n + o], Math.max(Math.abs(exact), 1e-3) / 128, "m=" + m + " [" + i + "," + o + "]");
                }
            }
        }
        for (int col : new int[]{0, 77, 255}) { // a one-hot x picks a column: bf16(3 · bf16(w)) exactly (a sum's -0 is +0)
            float[] one = new float[k];
            one[col] = 3;
            float[] got = cpu.matmul4bit(cpu.cast(Tensor.of(one, 1, k), DType.BF16), c.w(), true, DType.BF16).toFloatArray();
            for (int o = 0; o < n; o++) {
                assertEquals(round(3 * round(c.dequantized()[o * k + col], DType.BF16), DType.BF16), got[o], 0f, "column " + col + " row " + o);
            }
        }
    }

    /**
     * The GEMM decoding W a block at a time, forward (x · Wᵀ) and input gradient (dy · W): more rows than the GEMV
     * takes, odd sizes, more than one A block (MC) and strided x; equal to matmul of the dequantized weight, bit for bit
     * (same packing, micro-kernel and order) above Gemm's small-M paths.
     */
    @ParameterizedTest
    @CsvSource({"NF4,64,true", "FP4,64,false", "NF4,128,false", "FP4,256,true"})
    void gemmForwardAndInputGradientMatchDequantizeThenMatmul(FourBitType type, int blocksize, boolean doubleQuant) {
        for (int[] mnk : new int[][]{{9, 37, 192}, {17, 70, 100}, {40, 33, 640}, {260, 65, 130}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Case c = quantize(m + 13L * n, n, k, type, blocksize, doubleQuant);
            Tensor dense = cpu.dequantize4bit(c.w(), DType.F32);
            for (boolean transW : new boolean[]{true, false}) {
                int inner = transW ? k : n;
                Tensor x = randn(m * 5L + inner, m, inner);
                float[] got = cpu.matmul4bit(x, c.w(), transW, DType.F32).toFloatArray();
                assertProduct(x.toFloatArray(), c.dequantized(), m, n, k, transW, DType.F32, got, 1e-6, type + " " + (transW ? "x·Wᵀ" : "dy·W") + " m=" + m);
                if (m > 16) {
                    float[] want = cpu.matmul(x, dense, false, transW).toFloatArray();
                    for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], "bit-exact vs dequantize + matmul at " + i);
                }
                for (boolean touchC : new boolean[]{false, true}) { // the C-block touch only reads
                    assertArrayEquals(got, Gemm4bit.multiply(x, c.w(), transW, DType.F32, touchC).toFloatArray(), "touchC=" + touchC);
                }
                Tensor xt = randn(m * 5L + inner + 1, inner, m).transpose(0, 1); // a strided view
                assertProduct(xt.contiguous().toFloatArray(), c.dequantized(), m, n, k, transW, DType.F32,
                        cpu.matmul4bit(xt, c.w(), transW, DType.F32).toFloatArray(), 1e-6, "strided x m=" + m);
            }
        }
    }

    @Test
    void bf16GemmRoundsWeightsAndResult() {
        int m = 33, n = 40, k = 128;
        Case c = quantize(5, n, k, FourBitType.NF4, 64, true);
        Tensor x = cpu.cast(randn(6, m, n), DType.BF16);
        Tensor dx = cpu.matmul4bit(x, c.w(), false, DType.BF16);
        assertEquals(DType.BF16, dx.dtype());
        Tensor want = cpu.matmul(x, cpu.dequantize4bit(c.w(), DType.BF16), false, false);
        float[] g = dx.toFloatArray(), w = want.toFloatArray();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], "bf16 dy·W at " + i);
    }

    @Test
    void badShapesNameTheOperand() {
        Case c = quantize(1, 8, 64, FourBitType.NF4, 64, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.matmul4bit(randn(1, 2, 8), c.w(), true, DType.F32));
        assertTrue(e.getMessage().contains("[M, 64]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.matmul4bit(randn(1, 2, 64), c.w(), false, DType.F32));
        assertTrue(e.getMessage().contains("[M, 8]"), e.getMessage());
        Weight4bit.Nested n = (Weight4bit.Nested) c.w().absmax();
        Weight4bit shortCodes = new Weight4bit(c.w().packed(), new Weight4bit.Nested(n.codes().narrow(0, 0, 7), Tensor.of(new float[1], 1), n.code(),
                256, 0f), FourBitType.NF4, 64, new int[]{8, 64});
        e = assertThrows(IllegalArgumentException.class, () -> cpu.dequantize4bit(shortCodes, DType.F32));
        assertTrue(e.getMessage().contains("needs 8 absmax values, got 7"), e.getMessage());
    }

    @Test
    void weightBytesCountTheNestedCodesNotFloats() {
        Case plain = quantize(2, 64, 256, FourBitType.NF4, 64, false), nested = quantize(2, 64, 256, FourBitType.NF4, 64, true);
        long n = 64 * 256;
        assertEquals(n / 2 + 4 * n / 64, plain.w().bytes());
        assertEquals(n / 2 + n / 64 + 4 + 4 * 256, nested.w().bytes()); // 256 blocks: one nested absmax, and the 256-entry code
    }
}
