package io.jswift.nn.quant;

import io.jswift.autograd.GradCheck;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Reductions;
import io.jswift.nn.Linear;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantState4bit;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.QuantReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 4-bit base layer: the backend op against the host format, forward / backward against float64, LoRA on top. */
class Linear4bitTest {
    private static final int O = 7, I = 37; // 259 weights: four blocks, the last partial, an odd count

    static float[] randn(long seed, int n, double scale) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * scale);
        return v;
    }

    static Linear4bit layer(FourBitType type, boolean doubleQuant, DType compute, boolean bias) {
        Tensor w = Tensor.of(randn(1, O * I, 0.3), O, I);
        Tensor b = bias ? Tensor.of(randn(2, O, 0.1), O) : null;
        return Linear4bit.quantize(w, b, new QuantConfig4bit(type, doubleQuant, compute));
    }

    /** The dequantized weight from the host reference (proven bit-exact against bnb's kernels in the tensor module). */
    static float[] hostWeight(Linear4bit l) {
        return l.state().dequantize(QuantStateTensors.toBytes(l.baseParameters().get("weight").value()));
    }

    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void backendOpEqualsHostReference(FourBitType type) {
        for (boolean dq : new boolean[]{false, true}) {
            Linear4bit l = layer(type, dq, DType.F32, false);
            float[] want = hostWeight(l);
            float[] got = l.denseWeight().toFloatArray();
            for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "w[" + i + "]");
            QuantState4bit s = l.state();
            Tensor packed = l.baseParameters().get("weight").value(), absmax = Tensor.of(s.absmax(), s.blocks());
            Backend be = packed.backend();
            for (DType dt : new DType[]{DType.F32, DType.BF16}) {
                // the backend's kernel and the reference composition from primitives both
                for (Tensor t : new Tensor[]{be.dequantize4bit(packed, absmax, type, s.blocksize(), s.shape(), dt),
                        QuantReference.dequantize4bit(be, packed, absmax, type, s.blocksize(), s.shape(), dt)}) {
                    assertEquals(dt, t.dtype());
                    float[] v = t.toFloatArray();
                    for (int i = 0; i < want.length; i++) {
                        float expect = dt == DType.F32 ? want[i] : Half.bf16ToFloat(Half.floatToBf16(want[i]));
                        assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(v[i]), dt + " w[" + i + "]");
                    }
                }
            }
        }
    }

    /** The fused product (the CPU's 4-bit GEMV for few rows, dequantize + GEMM otherwise) against its reference. */
    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void fusedMatmulEqualsDequantizeThenMatmul(FourBitType type) {
        for (int[] mnk : new int[][]{{1, 33, 128}, {3, 20, 192}, {1, 9, 37}, {12, 7, 64}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Linear4bit l = Linear4bit.quantize(Tensor.of(randn(11 + k, n * k, 0.3), n, k), null, new QuantConfig4bit(type, true, DType.F32));
            QuantState4bit s = l.state();
            Tensor packed = l.baseParameters().get("weight").value(), absmax = Tensor.of(s.absmax(), s.blocks());
            Tensor x = Tensor.of(randn(5, m * k, 1), m, k);
            Backend be = packed.backend();
            float[] got = be.matmul4bit(x, packed, absmax, type, s.blocksize(), s.shape(), DType.F32).toFloatArray();
            float[] want = QuantReference.matmul4bit(be, x, packed, absmax, type, s.blocksize(), s.shape(), DType.F32).toFloatArray();
            float[] w = hostWeight(l), xv = x.toFloatArray();
            for (int i = 0; i < m; i++) {
                for (int o = 0; o < n; o++) {
                    double exact = 0, mag = 0;
                    for (int c = 0; c < k; c++) {
                        exact += (double) xv[i * k + c] * w[o * k + c];
                        mag += Math.abs((double) xv[i * k + c] * w[o * k + c]);
                    }
                    assertEquals(exact, got[i * n + o], 1e-6 * mag + 1e-7, "fused " + m + "x" + n + "x" + k + " [" + i + "," + o + "]");
                    assertEquals(exact, want[i * n + o], 1e-6 * mag + 1e-7, "reference [" + i + "," + o + "]");
                }
            }
        }
    }

    /** bf16 x and weight (a bf16 compute dtype): the fused GEMV rounds each weight to bf16 as the dequantized tensor has it. */
    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void fusedBf16MatmulEqualsDequantizeThenMatmul(FourBitType type) {
        int m = 2, n = 19, k = 256;
        Linear4bit l = Linear4bit.quantize(Tensor.of(randn(21, n * k, 0.3), n, k), null, new QuantConfig4bit(type, false, DType.BF16));
        QuantState4bit s = l.state();
        Tensor packed = l.baseParameters().get("weight").value(), absmax = Tensor.of(s.absmax(), s.blocks());
        Backend be = packed.backend();
        Tensor x = be.cast(Tensor.of(randn(22, m * k, 1), m, k), DType.BF16);
        Tensor got = be.matmul4bit(x, packed, absmax, type, s.blocksize(), s.shape(), DType.BF16);
        assertEquals(DType.BF16, got.dtype());
        float[] g = got.toFloatArray(), want = QuantReference.matmul4bit(be, x, packed, absmax, type, s.blocksize(), s.shape(), DType.BF16).toFloatArray();
        float[] w = hostWeight(l), xv = x.toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int o = 0; o < n; o++) {
                double exact = 0; // the bf16-rounded weights, exactly
                for (int c = 0; c < k; c++) exact += (double) xv[i * k + c] * Half.bf16ToFloat(Half.floatToBf16(w[o * k + c]));
                double ulp = Math.max(Math.abs(exact), 1e-3) / 128; // one bf16 step of the result, and the f32 sum order
                assertEquals(exact, g[i * n + o], ulp, "fused [" + i + "," + o + "]");
                assertEquals(exact, want[i * n + o], ulp, "reference [" + i + "," + o + "]");
            }
        }
        // x = 3 at one position picks 3·W[:, c]: bf16(3 · bf16(W)) exactly, which differs from bf16(3 · W) for some rows
        for (int c : new int[]{0, 5, 130, 255}) {
            float[] one = new float[k];
            one[c] = 3;
            Tensor xc = be.cast(Tensor.of(one, 1, k), DType.BF16);
            float[] fused = be.matmul4bit(xc, packed, absmax, type, s.blocksize(), s.shape(), DType.BF16).toFloatArray();
            for (int o = 0; o < n; o++) {
                float expect = Half.bf16ToFloat(Half.floatToBf16(3 * Half.bf16ToFloat(Half.floatToBf16(w[o * k + c]))));
                assertEquals(expect, fused[o], "column " + c + " row " + o);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void forwardIsXTimesDequantizedWeightAndGradientGoesToXOnly(boolean bias) {
        Linear4bit l = layer(FourBitType.NF4, true, DType.F64, bias);
        float[] w = hostWeight(l);
        float[] b = bias ? l.bias().value().toFloatArray() : null;
        Tensor x = Tensor.of(toDoubles(randn(3, 2 * 3 * I, 1)), 2, 3, I);
        Tensor y = l.forward(Variable.constant(x)).value();
        assertEquals(List.of(2, 3, O), List.of(y.shape()[0], y.shape()[1], y.shape()[2]));
        double[] xv = x.toDoubleArray(), yv = y.toDoubleArray();
        for (int n = 0; n < 6; n++) {
            for (int o = 0; o < O; o++) {
                double acc = b == null ? 0 : b[o];
                for (int i = 0; i < I; i++) acc += xv[n * I + i] * w[o * I + i];
                assertEquals(acc, yv[n * O + o], 1e-12);
            }
        }
        GradCheck.Report r = GradCheck.check(v -> l.forward(v[0]), new Tensor[]{x}, 1e-6, 1e-7, 1e-5, 7);
        assertTrue(r.passed(), r.detail());
        for (var p : l.namedParameters().values()) assertTrue(!p.requiresGrad(), "the 4-bit layer is frozen");
    }

    /** LoRA / DoRA over the 4-bit layer = LoRA / DoRA over a dense Linear holding the dequantized weight. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void loraWrapsTheQuantizedLayerAsItWrapsADenseOne(boolean dora) {
        Linear4bit q = layer(FourBitType.FP4, false, DType.F32, true);
        Linear dense = new Linear(I, O, true, new Generator(5));
        dense.weight().setValue(Tensor.of(hostWeight(q), O, I));
        dense.bias().setValue(q.bias().value());
        LoraConfig cfg = new LoraConfig(4, 8, 0.0, false, dora, List.of("x"));
        LoraLinear onQ = new LoraLinear(q, cfg, new Generator(9)), onDense = new LoraLinear(dense, cfg, new Generator(9));
        for (LoraLinear l : List.of(onQ, onDense)) l.adapterParameters().get("lora_B.weight").setValue(Tensor.of(randn(4, O * 4, 0.2), O, 4));
        Tensor x = Tensor.of(randn(6, 5 * I, 1), 5, I);
        double[] yq = step(onQ, x), yd = step(onDense, x);
        for (int i = 0; i < yq.length; i++) assertEquals(yd[i], yq[i], 1e-4 * (1 + Math.abs(yd[i])));
        for (String name : onQ.adapterParameters().keySet()) {
            double[] gq = onQ.adapterParameters().get(name).grad().toDoubleArray(), gd = onDense.adapterParameters().get(name).grad().toDoubleArray();
            for (int i = 0; i < gq.length; i++) assertEquals(gd[i], gq[i], 1e-4 * (1 + Math.abs(gd[i])), name);
        }
        assertTrue(onQ.namedParameters().containsKey("weight.absmax"), "the quantization state keeps its HF names under the wrapper");
        assertTrue(onQ.namedParameters().containsKey("weight.quant_state.bitsandbytes__fp4"));
        assertEquals(onQ.mergedWeight().toDoubleArray().length, O * I);
    }

    /**
     * Double quantization stays in memory as bnb stores it (8-bit codes a block, decoded by the kernels), and a
     * training-sized f32 step (the fused GEMM's forward and input gradient) equals float64 over the dequantized weight.
     */
    @ParameterizedTest
    @EnumSource(FourBitType.class)
    void nestedAbsmaxStaysCodesAndManyRowsTrainThroughTheFusedGemm(FourBitType type) {
        int o = 48, in = 256, rows = 40;
        Linear4bit l = Linear4bit.quantize(Tensor.of(randn(8, o * in, 0.3), o, in), null, new QuantConfig4bit(type, true, DType.F32));
        Weight4bit w = l.weight4bit();
        assertInstanceOf(Weight4bit.Nested.class, w.absmax());
        assertEquals(DType.U8, w.absmaxTensor().dtype());
        long n = (long) o * in; // 0.5 byte a weight, 1 byte a block of 64, one nested float a 256 blocks, the 256-entry code
        assertEquals(n / 2 + n / 64 + 4 + 4 * 256, w.bytes());
        float[] wv = hostWeight(l);
        Tensor x = Tensor.of(randn(9, rows * in, 1), rows, in);
        Variable xv = Variable.leaf(x, true);
        Variable y = l.forward(xv);
        Tensor dy = Tensor.of(randn(10, rows * o, 1), rows, o);
        Reductions.sum(Elementwise.mul(y, Variable.constant(dy))).backward();
        float[] yv = y.value().toFloatArray(), dx = xv.grad().toFloatArray(), xs = x.toFloatArray(), g = dy.toFloatArray();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < o; j++) {
                double acc = 0, mag = 0;
                for (int i = 0; i < in; i++) {
                    acc += (double) xs[r * in + i] * wv[j * in + i];
                    mag += Math.abs((double) xs[r * in + i] * wv[j * in + i]);
                }
                assertEquals(acc, yv[r * o + j], 1e-6 * mag + 1e-7, "y[" + r + "," + j + "]");
            }
            for (int i = 0; i < in; i++) {
                double acc = 0, mag = 0;
                for (int j = 0; j < o; j++) {
                    acc += (double) g[r * o + j] * wv[j * in + i];
                    mag += Math.abs((double) g[r * o + j] * wv[j * in + i]);
                }
                assertEquals(acc, dx[r * in + i], 1e-6 * mag + 1e-7, "dx[" + r + "," + i + "]");
            }
        }
    }

    private static double[] step(LoraLinear l, Tensor x) {
        Variable y = l.forward(Variable.constant(x));
        Reductions.sum(Elementwise.mul(y, y)).backward();
        return y.value().toDoubleArray();
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

}
