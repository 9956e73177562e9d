package io.jswift.nn.lora;

import io.jswift.autograd.GradCheck;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA / DoRA functions against float64 loops written from the formulas (PEFT's lora.Linear and
 * DoraLinearLayer), and their gradients against central differences. Dims: N = 2×3 rows, I = 5, O = 4, R = 3.
 */
class LoraOpsTest {
    private static final int I = 5, O = 4, R = 3;
    private static final double S = 1.7;

    static Tensor rand(long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** Dropout-like keep mask scaled by 1/(1-p), p = 0.5, fixed so finite differences see one function. */
    static Tensor mask(long seed, int... shape) {
        double[] v = rand(seed, shape).toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] > 0 ? 2 : 0;
        return Tensor.of(v, shape);
    }

    /** y[n][o] = sum_i x[n][i] w[o][i] + b[o]. */
    static double[][] linear(double[][] x, double[][] w, double[] b) {
        double[][] y = new double[x.length][w.length];
        for (int n = 0; n < x.length; n++) {
            for (int o = 0; o < w.length; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < w[o].length; i++) s += x[n][i] * w[o][i];
                y[n][o] = s;
            }
        }
        return y;
    }

    static double[][] rows(Tensor t, int cols) {
        double[] v = t.toDoubleArray();
        double[][] out = new double[v.length / cols][cols];
        for (int i = 0; i < v.length; i++) out[i / cols][i % cols] = v[i];
        return out;
    }

    /** ‖W + s·B·A‖ per output row, by loops. */
    static double[] norms(double[][] w, double[][] a, double[][] b, double s) {
        double[] out = new double[O];
        for (int o = 0; o < O; o++) {
            double sq = 0;
            for (int i = 0; i < I; i++) {
                double ba = 0;
                for (int r = 0; r < R; r++) ba += b[o][r] * a[r][i];
                double v = w[o][i] + s * ba;
                sq += v * v;
            }
            out[o] = Math.sqrt(sq);
        }
        return out;
    }

    static void assertClose(double[][] expected, Tensor actual, double tol) {
        double[] got = actual.toDoubleArray();
        for (int n = 0; n < expected.length; n++) {
            for (int o = 0; o < O; o++) assertEquals(expected[n][o], got[n * O + o], tol, "row " + n + " col " + o);
        }
    }

    /** LoraOps over a dense base: x·Wᵀ computed here, as LoraLinear asks its base layer for it. */
    private static Variable lora(Variable x, Variable xDropped, Variable w, Variable bias, Variable a, Variable b, double s) {
        return LoraOps.lora(LinearAlgebra.linear(x, w, null), bias, xDropped, a, b, s);
    }

    private static Variable dora(Variable x, Variable xDropped, Variable w, Variable bias, Variable a, Variable b, Variable m,
                                 Tensor norm, double s) {
        Variable dropped = xDropped == x ? null : LinearAlgebra.linear(xDropped, w, null);
        return LoraOps.dora(LinearAlgebra.linear(x, w, null), dropped, bias, xDropped, a, b, m, norm, s);
    }

    @Test
    void loraIsBasePlusScaledLowRankUpdate() {
        Tensor x = rand(1, 2, 3, I), w = rand(2, O, I), bias = rand(3, O), a = rand(4, R, I), b = rand(5, O, R), m = mask(6, 2, 3, I);
        try (var s = GradMode.noGrad()) {
            Variable xv = Variable.constant(x), xd = Elementwise.mul(xv, Variable.constant(m));
            Tensor y = lora(xv, xd, Variable.constant(w), Variable.constant(bias), Variable.constant(a), Variable.constant(b), S).value();
            double[][] xr = rows(x, I), xdr = rows(xd.value(), I);
            double[][] base = linear(xr, rows(w, I), bias.toDoubleArray());
            double[][] upd = linear(linear(xdr, rows(a, I), null), rows(b, R), null);
            for (int n = 0; n < base.length; n++) for (int o = 0; o < O; o++) base[n][o] += S * upd[n][o];
            assertClose(base, y, 1e-12);
        }
    }

    @Test
    void doraRescalesTheUpdatedWeightButNotTheBias() {
        Tensor x = rand(11, 2, 3, I), w = rand(12, O, I), bias = rand(13, O), a = rand(14, R, I), b = rand(15, O, R);
        Tensor mag = rand(16, O), drop = mask(17, 2, 3, I);
        double[][] xr = rows(x, I), wr = rows(w, I), ar = rows(a, I), br = rows(b, R);
        double[] norm = norms(wr, ar, br, S), mv = mag.toDoubleArray(), bv = bias.toDoubleArray();
        Tensor normT = LoraOps.weightNorm(w, a, b, S);
        double[] got = normT.toDoubleArray();
        for (int o = 0; o < O; o++) assertEquals(norm[o], got[o], 1e-12, "weight norm row " + o);
        try (var s = GradMode.noGrad()) {
            Variable xv = Variable.constant(x);
            // no dropout: y = (m/‖W+sBA‖) ⊙ (x·Wᵀ + s·x·Aᵀ·Bᵀ) + bias
            Tensor y = dora(xv, xv, Variable.constant(w), Variable.constant(bias), Variable.constant(a), Variable.constant(b),
                    Variable.constant(mag), normT, S).value();
            double[][] base = linear(xr, wr, null), upd = linear(linear(xr, ar, null), br, null), expected = new double[xr.length][O];
            for (int n = 0; n < xr.length; n++) {
                for (int o = 0; o < O; o++) expected[n][o] = mv[o] / norm[o] * (base[n][o] + S * upd[n][o]) + bv[o];
            }
            assertClose(expected, y, 1e-12);
            // dropout: PEFT's x·Wᵀ + bias + (g - 1) ⊙ xd·Wᵀ + g ⊙ s·B(A(xd))
            Variable xd = Elementwise.mul(xv, Variable.constant(drop));
            Tensor yd = dora(xv, xd, Variable.constant(w), Variable.constant(bias), Variable.constant(a), Variable.constant(b),
                    Variable.constant(mag), normT, S).value();
            double[][] xdr = rows(xd.value(), I), full = linear(xr, wr, bv), dropped = linear(xdr, wr, null);
            double[][] updD = linear(linear(xdr, ar, null), br, null);
            for (int n = 0; n < xr.length; n++) {
                for (int o = 0; o < O; o++) {
                    double g = mv[o] / norm[o];
                    expected[n][o] = full[n][o] + (g - 1) * dropped[n][o] + g * S * updD[n][o];
                }
            }
            assertClose(expected, yd, 1e-12);
        }
    }

    @Test
    void mergedWeightsReproduceTheAdapter() {
        Tensor w = rand(21, O, I), a = rand(22, R, I), b = rand(23, O, R), mag = rand(24, O);
        double[][] wr = rows(w, I), ar = rows(a, I), br = rows(b, R);
        double[] norm = norms(wr, ar, br, S), mv = mag.toDoubleArray();
        double[] lora = LoraOps.mergedWeight(w, a, b, null, S).toDoubleArray();
        double[] dora = LoraOps.mergedWeight(w, a, b, mag, S).toDoubleArray();
        for (int o = 0; o < O; o++) {
            for (int i = 0; i < I; i++) {
                double ba = 0;
                for (int r = 0; r < R; r++) ba += br[o][r] * ar[r][i];
                double updated = wr[o][i] + S * ba;
                assertEquals(updated, lora[o * I + i], 1e-12);
                assertEquals(mv[o] / norm[o] * updated, dora[o * I + i], 1e-12);
            }
        }
    }

    @Test
    void loraGradientsMatchCentralDifferences() {
        Tensor m = mask(31, 2, 3, I);
        GradCheck.Fn fn = v -> lora(v[0], Elementwise.mul(v[0], Variable.constant(m)), v[1], v[2], v[3], v[4], S);
        assertGrad(fn, rand(32, 2, 3, I), rand(33, O, I), rand(34, O), rand(35, R, I), rand(36, O, R));
    }

    /** The weight norm is a constant of the graph (DoRA §4.3): m, A, B, x and bias get gradients through the rest. */
    @Test
    void doraGradientsWithTheNormDetachedMatchCentralDifferences() {
        Tensor w = rand(41, O, I), a0 = rand(42, R, I), b0 = rand(43, O, R);
        Tensor norm = LoraOps.weightNorm(w, a0, b0, S);
        Tensor drop = mask(44, 2, 3, I);
        GradCheck.Fn noDropout = v -> dora(v[0], v[0], Variable.constant(w), v[1], v[2], v[3], v[4], norm, S);
        assertGrad(noDropout, rand(45, 2, 3, I), rand(46, O), a0, b0, rand(47, O));
        GradCheck.Fn dropout = v -> dora(v[0], Elementwise.mul(v[0], Variable.constant(drop)), Variable.constant(w), v[1], v[2], v[3],
                v[4], norm, S);
        assertGrad(dropout, rand(48, 2, 3, I), rand(49, O), a0, b0, rand(50, O));
    }

    @Test
    void finitenessCheckSeesNanAndInfinity() {
        assertTrue(LoraOps.allFinite(Tensor.of(new float[]{1, -2, 3e38f}, 3)));
        assertFalse(LoraOps.allFinite(Tensor.of(new float[]{1, Float.NaN, 3}, 3)));
        assertFalse(LoraOps.allFinite(Tensor.of(new float[]{1, Float.NEGATIVE_INFINITY, 3}, 3)));
        assertFalse(LoraOps.allFinite(Tensor.of(new float[]{Float.POSITIVE_INFINITY, 1, 3}, 3).to(io.jswift.tensor.DType.BF16)));
    }

    private static void assertGrad(GradCheck.Fn fn, Tensor... inputs) {
        GradCheck.Report r = GradCheck.check(fn, inputs, 1e-6, 1e-7, 1e-5, 7);
        assertTrue(r.passed(), r.detail());
    }
}
