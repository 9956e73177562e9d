package io.jswift.tensor.testing;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Proves the backward oracles of {@link NaiveFused}: each analytic gradient of a random linear functional
 * L(x) = Σ r·f(x) equals its central difference (L(x + h·eᵢ) - L(x - h·eᵢ)) / 2h, in float64.
 */
class NaiveFusedGradientTest {
    private static final double H = 1e-5, TOL = 1e-7;

    private static double[] gaussian(long seed, int n) {
        Random r = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian();
        return x;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Checks {@code analytic} = ∂/∂x Σ r·f(x) by central differences at {@code x}. */
    private static void check(String what, double[] x, double[] r, UnaryOperator<double[]> f, double[] analytic) {
        assertTrue(analytic.length == x.length, what + ": gradient has " + analytic.length + " entries, input " + x.length);
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone(), minus = x.clone();
            plus[i] += H;
            minus[i] -= H;
            double numeric = (dot(r, f.apply(plus)) - dot(r, f.apply(minus))) / (2 * H);
            if (Math.abs(numeric - analytic[i]) > TOL * (1 + Math.abs(numeric))) {
                fail(what + ": d/dx[" + i + "] analytic " + analytic[i] + ", central difference " + numeric);
            }
        }
    }

    @Test
    void rmsNorm() {
        int n = 3, c = 7;
        double[] x = gaussian(1, n * c), w = gaussian(2, c), r = gaussian(3, n * c);
        NaiveFused.NormGrads g = NaiveFused.rmsNormBackward(r, x, w, n, c, 1e-6);
        check("rmsnorm dx", x, r, xx -> NaiveFused.rmsNorm(xx, w, n, c, 1e-6).y(), g.dx());
        check("rmsnorm dw", w, r, ww -> NaiveFused.rmsNorm(x, ww, n, c, 1e-6).y(), g.dw());
    }

    @Test
    void layerNorm() {
        int n = 3, c = 5;
        double[] x = gaussian(4, n * c), w = gaussian(5, c), b = gaussian(6, c), r = gaussian(7, n * c);
        NaiveFused.NormGrads g = NaiveFused.layerNormBackward(r, x, w, true, n, c, 1e-5);
        check("layernorm dx", x, r, xx -> NaiveFused.layerNorm(xx, w, b, n, c, 1e-5).y(), g.dx());
        check("layernorm dw", w, r, ww -> NaiveFused.layerNorm(x, ww, b, n, c, 1e-5).y(), g.dw());
        check("layernorm db", b, r, bb -> NaiveFused.layerNorm(x, w, bb, n, c, 1e-5).y(), g.db());
    }

    @Test
    void rope() {
        int b = 2, h = 2, t = 3, d = 6, rot = 4; // partial rotary, per-batch tables
        double[] x = gaussian(8, b * h * t * d), cos = gaussian(9, b * t * rot), sin = gaussian(10, b * t * rot), r = gaussian(11, x.length);
        check("rope dx", x, r, xx -> NaiveFused.rope(xx, cos, sin, b, h, t, d, rot, true),
                NaiveFused.ropeBackward(r, cos, sin, b, h, t, d, rot, true));
    }

    @Test
    void siluMul() {
        double[] gate = gaussian(12, 11), up = gaussian(13, 11), r = gaussian(14, 11);
        double[][] g = NaiveFused.siluMulBackward(r, gate, up);
        check("swiglu dgate", gate, r, gg -> NaiveFused.siluMul(gg, up), g[0]);
        check("swiglu dup", up, r, uu -> NaiveFused.siluMul(gate, uu), g[1]);
    }

    @Test
    void softmaxAndLogSoftmax() {
        int n = 2, v = 7;
        double[] x = gaussian(15, n * v), r = gaussian(16, n * v);
        check("softmax dx", x, r, xx -> NaiveFused.softmax(xx, n, v), NaiveFused.softmaxBackward(r, NaiveFused.softmax(x, n, v), n, v));
        check("log-softmax dx", x, r, xx -> NaiveFused.logSoftmax(xx, n, v),
                NaiveFused.logSoftmaxBackward(r, NaiveFused.logSoftmax(x, n, v), n, v));
    }

    @Test
    void crossEntropy() {
        int n = 4, v = 9;
        long[] targets = {3, -100, 8, 0};
        double[] x = gaussian(17, n * v), r = gaussian(18, n);
        check("cross-entropy dlogits", x, r, xx -> NaiveFused.crossEntropy(xx, targets, -100, n, v).losses(),
                NaiveFused.crossEntropyBackward(r, x, targets, -100, n, v));
    }

    @Test
    void attentionWithGqaCausalSegmentsAndAnEmptyRow() {
        // B 2, Hq 4, Hkv 2, T 3 < S 5 (cache), D 3; query 0 of sample 1 is in a segment no key has
        NaiveFused.AttentionShape a = new NaiveFused.AttentionShape(2, 4, 2, 3, 5, 3);
        long[] qs = {0, 1, 1, 7, 2, 2}, ks = {0, 0, 1, 1, 1, 2, 2, 2, 2, 2};
        NaiveFused.AttentionMask m = new NaiveFused.AttentionMask(0.6, true, qs, ks);
        double[] q = gaussian(19, 2 * 4 * 3 * 3), k = gaussian(20, 2 * 2 * 5 * 3), v = gaussian(21, 2 * 2 * 5 * 3), r = gaussian(22, q.length);
        NaiveFused.AttentionGrads g = NaiveFused.attentionBackward(r, q, k, v, a, m);
        check("attention dq", q, r, qq -> NaiveFused.attention(qq, k, v, a, m).out(), g.dq());
        check("attention dk", k, r, kk -> NaiveFused.attention(q, kk, v, a, m).out(), g.dk());
        check("attention dv", v, r, vv -> NaiveFused.attention(q, k, vv, a, m).out(), g.dv());
        NaiveFused.Attention out = NaiveFused.attention(q, k, v, a, m);
        int emptyRow = (1 * 4 + 0) * 3; // sample 1, head 0, query 0
        assertTrue(out.lse()[emptyRow] == Double.NEGATIVE_INFINITY && out.out()[emptyRow * 3] == 0, "row seeing no key gives 0 / -inf");
    }

    @Test
    void attentionWithASlidingWindow() {
        // B 1, Hq 2, Hkv 1, T 4 < S 6, D 3, window 2: query i (position i + 2) sees keys i + 1 and i + 2 only
        NaiveFused.AttentionShape a = new NaiveFused.AttentionShape(1, 2, 1, 4, 6, 3);
        NaiveFused.AttentionMask m = new NaiveFused.AttentionMask(0.7, true, null, null, 2);
        double[] q = gaussian(23, 2 * 4 * 3), k = gaussian(24, 6 * 3), v = gaussian(25, 6 * 3), r = gaussian(26, q.length);
        NaiveFused.AttentionGrads g = NaiveFused.attentionBackward(r, q, k, v, a, m);
        check("windowed dq", q, r, qq -> NaiveFused.attention(qq, k, v, a, m).out(), g.dq());
        check("windowed dk", k, r, kk -> NaiveFused.attention(q, kk, v, a, m).out(), g.dk());
        check("windowed dv", v, r, vv -> NaiveFused.attention(q, k, vv, a, m).out(), g.dv());
        double[] dk = g.dk();
        for (int x = 0; x < 3; x++) assertTrue(dk[x] == 0, "key 0 is outside every query's window");
    }

    @Test
    void attentionWithSoftCappedScores() {
        // B 1, Hq 2, Hkv 1, T 3 < S 5, D 4, cap 0.8 (scores of this size saturate it), window 3
        NaiveFused.AttentionShape a = new NaiveFused.AttentionShape(1, 2, 1, 3, 5, 4);
        NaiveFused.AttentionMask m = new NaiveFused.AttentionMask(0.9, true, null, null, 3, 0.8);
        double[] q = gaussian(27, 2 * 3 * 4), k = gaussian(28, 5 * 4), v = gaussian(29, 5 * 4), r = gaussian(30, q.length);
        NaiveFused.AttentionGrads g = NaiveFused.attentionBackward(r, q, k, v, a, m);
        check("soft-capped dq", q, r, qq -> NaiveFused.attention(qq, k, v, a, m).out(), g.dq());
        check("soft-capped dk", k, r, kk -> NaiveFused.attention(q, kk, v, a, m).out(), g.dk());
        check("soft-capped dv", v, r, vv -> NaiveFused.attention(q, k, vv, a, m).out(), g.dv());
    }

    @Test
    void adamwIsTorchsFormulaAtStepOne() {
        // at step 1 the bias-corrected update is exactly lr · g / (|g| + eps) after decay
        double[] p = {1.0, -2.0}, g = {0.5, -0.25}, m = new double[2], v = new double[2];
        NaiveFused.adamwStep(p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 0.01, 1);
        double p0 = 1.0 * (1 - 0.001) - 0.1 * 0.5 / (0.5 + 1e-8), p1 = -2.0 * (1 - 0.001) + 0.1 * 0.25 / (0.25 + 1e-8);
        assertTrue(Math.abs(p[0] - p0) < 1e-12 && Math.abs(p[1] - p1) < 1e-12, "p = " + p[0] + ", " + p[1]);
        assertTrue(Math.abs(m[0] - 0.05) < 1e-15 && Math.abs(v[1] - 0.001 * 0.0625) < 1e-15, "moments");
    }
}
