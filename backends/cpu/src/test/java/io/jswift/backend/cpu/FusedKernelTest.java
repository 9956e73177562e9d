package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each f32 SIMD kernel against the reference composition evaluated in float64 (F64 inputs take the
 * reference path; that composition is itself checked by finite differences in autograd and against
 * transformers in the model tests).
 */
class FusedKernelTest {
    private final CpuBackend cpu = new CpuBackend();
    private static final double TOL = 2e-5;

    private static Tensor f64(Tensor t) {
        return t == null ? null : t.to(DType.F64);
    }

    @ParameterizedTest
    @CsvSource({"1,1", "3,7", "5,33", "2,1023", "17,64"})
    void rmsNormForwardAndBackward(int rows, int c) {
        Tensor x = random(1, rows, c), w = random(2, c), dy = random(3, rows, c);
        FusedResults.RmsNorm fast = cpu.rmsNorm(x, w, 1e-6), ref = cpu.rmsNorm(f64(x), f64(w), 1e-6);
        assertClose(ref.output().toDoubleArray(), fast.output(), TOL, TOL, "rmsnorm y");
        assertClose(ref.rstd().toDoubleArray(), fast.rstd(), TOL, TOL, "rmsnorm rstd");
        FusedResults.NormGrads g = cpu.rmsNormBackward(dy, x, w, fast.rstd());
        FusedResults.NormGrads gr = cpu.rmsNormBackward(f64(dy), f64(x), f64(w), ref.rstd());
        assertClose(gr.dInput().toDoubleArray(), g.dInput(), TOL, TOL, "rmsnorm dx");
        assertClose(gr.dWeight().toDoubleArray(), g.dWeight(), 1e-4, TOL, "rmsnorm dw");
        Tensor strided = random(4, c, rows).transpose(0, 1);
        Tensor bf16Weight = w.to(DType.BF16);
        assertClose(cpu.rmsNorm(f64(strided), f64(bf16Weight), 1e-5).output().toDoubleArray(), cpu.rmsNorm(strided, bf16Weight, 1e-5).output(), TOL, TOL, "bf16 weight, strided x");
    }

    @ParameterizedTest
    @CsvSource({"1,1", "4,7", "3,33", "2,1023", "5,4099"})
    void softmaxAndLogSoftmax(int rows, int v) {
        Tensor x = random(5, rows, v), dy = random(6, rows, v);
        for (boolean log : new boolean[]{false, true}) {
            Tensor y = log ? cpu.logSoftmax(x) : cpu.softmax(x);
            Tensor yr = log ? cpu.logSoftmax(f64(x)) : cpu.softmax(f64(x));
            assertClose(yr.toDoubleArray(), y, TOL, TOL, (log ? "log-" : "") + "softmax");
            Tensor dx = log ? cpu.logSoftmaxBackward(dy, y) : cpu.softmaxBackward(dy, y);
            Tensor dxr = log ? cpu.logSoftmaxBackward(f64(dy), yr) : cpu.softmaxBackward(f64(dy), yr);
            assertClose(dxr.toDoubleArray(), dx, TOL, TOL, (log ? "log-" : "") + "softmax backward");
        }
        Tensor masked = Tensor.of(new float[]{Float.NEGATIVE_INFINITY, 0, Float.NEGATIVE_INFINITY}, 1, 3);
        assertClose(new double[]{0, 1, 0}, cpu.softmax(masked), 0, 0, "masked entries");
    }

    @Test
    void crossEntropyWithIgnoredRows() {
        Tensor logits = random(7, 6, 151), dl = random(8, 6);
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 150, 0, -100, 77}, 6);
        FusedResults.CrossEntropy fast = cpu.crossEntropy(logits, targets, -100), ref = cpu.crossEntropy(f64(logits), targets, -100);
        assertClose(ref.losses().toDoubleArray(), fast.losses(), TOL, TOL, "losses");
        assertEquals(0.0, fast.losses().getDouble(1));
        Tensor d = cpu.crossEntropyBackward(dl, logits, targets, fast.logSumExp(), -100);
        assertClose(cpu.crossEntropyBackward(f64(dl), f64(logits), targets, ref.logSumExp(), -100).toDoubleArray(), d, TOL, TOL, "dlogits");
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> cpu.crossEntropy(logits, Tensor.ofLongs(new long[]{0, 0, 151, 0, 0, 0}, 6), -100));
        assertTrue(e.getMessage().contains("target 151 at row 2"), e.getMessage());
    }

    /** q/k/v arrive as [B, T, H, D] projections transposed to [B, H, T, D], as the models pass them. */
    private static Tensor heads(long seed, int b, int t, int h, int d) {
        return random(seed, b, t, h, d).transpose(1, 2);
    }

    @ParameterizedTest
    @CsvSource({
            "1, 4, 4, 7, 7, 8, true, false",     // plain causal MHA
            "2, 4, 2, 5, 9, 16, true, false",    // GQA 2, decode-style T < S
            "1, 8, 2, 1, 13, 64, true, false",   // one query against a cache, GQA 4
            "2, 2, 1, 6, 6, 80, false, false",   // bidirectional (ViT), odd head dim
            "2, 4, 2, 9, 9, 16, true, true"})    // packed samples: segment mask
    void attentionForwardAndBackward(int b, int hq, int hkv, int t, int s, int d, boolean causal, boolean packed) {
        Tensor q = heads(1, b, t, hq, d), k = heads(2, b, s, hkv, d), v = heads(3, b, s, hkv, d), dOut = random(4, b, hq, t, d);
        Tensor seg = null;
        if (packed) {
            int[] ids = new int[b * s];
            for (int i = 0; i < ids.length; i++) ids[i] = (i % s) < s / 3 ? 0 : (i % s) < 2 * s / 3 ? 1 : 2;
            seg = Tensor.ofInts(ids, b, s);
        }
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), causal, seg, seg);
        FusedResults.Attention fast = cpu.attention(q, k, v, spec), ref = cpu.attention(f64(q), f64(k), f64(v), spec);
        assertClose(ref.output().toDoubleArray(), fast.output(), TOL, TOL, "attention out");
        assertClose(ref.logSumExp().toDoubleArray(), fast.logSumExp(), TOL, TOL, "attention lse");
        FusedResults.AttentionGrads g = cpu.attentionBackward(dOut, q, k, v, fast.output(), fast.logSumExp(), spec);
        FusedResults.AttentionGrads gr = cpu.attentionBackward(f64(dOut), f64(q), f64(k), f64(v), ref.output(), ref.logSumExp(), spec);
        assertClose(gr.dq().toDoubleArray(), g.dq(), 1e-4, 1e-4, "dq");
        assertClose(gr.dk().toDoubleArray(), g.dk(), 1e-4, 1e-4, "dk");
        assertClose(gr.dv().toDoubleArray(), g.dv(), 1e-4, 1e-4, "dv");
    }

    @Test
    void rowsThatSeeNoKeyGiveZeroOutput() {
        // query segment 5 matches no key: its output row is 0 and its lse -inf, in both paths
        Tensor qs = Tensor.ofInts(new int[]{0, 5, 0}, 1, 3), ks = Tensor.ofInts(new int[]{0, 0, 0}, 1, 3);
        AttentionSpec spec = new AttentionSpec(0.5, false, qs, ks);
        Tensor q = random(1, 1, 1, 3, 4), k = random(2, 1, 1, 3, 4), v = random(3, 1, 1, 3, 4);
        for (FusedResults.Attention r : new FusedResults.Attention[]{cpu.attention(q, k, v, spec), cpu.attention(f64(q), f64(k), f64(v), spec)}) {
            for (int x = 0; x < 4; x++) assertEquals(0.0, r.output().getDouble(0, 0, 1, x));
            assertEquals(Double.NEGATIVE_INFINITY, r.logSumExp().getDouble(0, 0, 1));
        }
    }

    @Test
    void adamwKernelEqualsTheReference() {
        Tensor p = random(1, 37, 9), g = random(2, 37, 9), m = random(3, 37, 9), v = random(4, 37, 9);
        v = cpu.unary(io.jswift.tensor.spi.UnaryOp.ABS, v);
        Tensor p64 = f64(p), m64 = f64(m), v64 = f64(v);
        AdamWConfig c = new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, 0.1);
        cpu.adamwStep(p, g, m, v, c, 3);
        cpu.adamwStep(p64, f64(g), m64, v64, c, 3);
        assertClose(p64.toDoubleArray(), p, 1e-6, 1e-6, "param");
        assertClose(m64.toDoubleArray(), m, 1e-6, 1e-6, "exp_avg");
        assertClose(v64.toDoubleArray(), v, 1e-6, 1e-6, "exp_avg_sq");
    }
}
