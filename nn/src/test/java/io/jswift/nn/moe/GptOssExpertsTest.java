package io.jswift.nn.moe;

import io.jswift.autograd.GradCheck;
import io.jswift.autograd.Variable;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-OSS's experts: the clamped SwiGLU against its definition in transformers' GptOssExperts._apply_gate and float64
 * finite differences, and the whole expert MLP (interleaved gate/up columns, per-expert biases, grouped GEMMs) against a
 * per-row loop and finite differences of every input.
 */
class GptOssExpertsTest {
    private static final double EPS = 1e-6, ATOL = 1e-7, RTOL = 1e-5;

    private static Tensor rand(long seed, double scale, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * scale;
        return Tensor.of(v, shape);
    }

    /** Values spread over [-12, 12] but at least 1e-3 away from the clamp kinks ±7, where differences would straddle them. */
    private static Tensor awayFromKinks(long seed, int... shape) {
        Tensor t = rand(seed, 6, shape);
        double[] v = t.toDoubleArray();
        for (int i = 0; i < v.length; i++) if (Math.abs(Math.abs(v[i]) - 7) < 1e-3) v[i] += 0.01;
        return Tensor.of(v, shape);
    }

    private static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    @Test
    void clampedSwiGluIsTransformersApplyGate() {
        Tensor gate = awayFromKinks(1, 6, 5), up = awayFromKinks(2, 6, 5);
        double[] got = ClampedSwiGlu.apply(Variable.constant(gate), Variable.constant(up)).value().toDoubleArray();
        double[] g = gate.toDoubleArray(), u = up.toDoubleArray();
        int clampedGate = 0, clampedUp = 0;
        for (int i = 0; i < got.length; i++) {
            double gc = Math.min(g[i], 7), uc = Math.max(-7, Math.min(u[i], 7));
            if (g[i] > 7) clampedGate++;
            if (Math.abs(u[i]) > 7) clampedUp++;
            assertEquals((uc + 1) * gc * sigmoid(1.702 * gc), got[i], 1e-12, "element " + i);
        }
        assertTrue(clampedGate > 0 && clampedUp > 0, "both clamps are exercised");
    }

    @Test
    void clampedSwiGluGradients() {
        GradCheck.Report r = GradCheck.check(in -> ClampedSwiGlu.apply(in[0], in[1]), new Tensor[]{awayFromKinks(3, 5, 6), awayFromKinks(4, 5, 6)},
                EPS, ATOL, RTOL, 5);
        assertTrue(r.passed(), r.detail());
    }

    /** E = 3 experts with 2, 0 and 3 rows; C = 4 hidden, I = 3: each row as transformers computes it for its expert. */
    @Test
    void expertsEqualOneRowAtATime() {
        int[] counts = {2, 0, 3};
        GptOssExperts experts = experts();
        Tensor rows = rand(5, 1, 5, 4);
        double[] got = experts.forward(Variable.constant(rows), counts).value().toDoubleArray();
        var p = experts.namedParameters();
        double[] gu = p.get("gate_up_proj").value().toDoubleArray(), gub = p.get("gate_up_proj_bias").value().toDoubleArray();
        double[] dn = p.get("down_proj").value().toDoubleArray(), dnb = p.get("down_proj_bias").value().toDoubleArray();
        double[] x = rows.toDoubleArray();
        int row = 0;
        for (int e = 0; e < counts.length; e++) {
            for (int n = 0; n < counts[e]; n++, row++) {
                double[] act = new double[3];
                for (int i = 0; i < 3; i++) {
                    double gate = gub[e * 6 + 2 * i], up = gub[e * 6 + 2 * i + 1]; // gate_up[..., ::2], gate_up[..., 1::2]
                    for (int c = 0; c < 4; c++) {
                        gate += x[row * 4 + c] * gu[(e * 4 + c) * 6 + 2 * i];
                        up += x[row * 4 + c] * gu[(e * 4 + c) * 6 + 2 * i + 1];
                    }
                    double gc = Math.min(gate, 7), uc = Math.max(-7, Math.min(up, 7));
                    act[i] = (uc + 1) * gc * sigmoid(1.702 * gc);
                }
                for (int c = 0; c < 4; c++) {
                    double want = dnb[e * 4 + c];
                    for (int i = 0; i < 3; i++) want += act[i] * dn[(e * 3 + i) * 4 + c];
                    assertEquals(want, got[row * 4 + c], 1e-12, "row " + row + " out " + c);
                }
            }
        }
    }

    /** Finite differences of the rows and of all four expert tensors (an expert no row picked gets zero gradient). */
    @Test
    void expertGradients() {
        int[] counts = {2, 0, 3};
        GptOssExperts experts = experts();
        var p = experts.namedParameters();
        String[] names = {"gate_up_proj", "gate_up_proj_bias", "down_proj", "down_proj_bias"};
        Tensor[] inputs = new Tensor[5];
        inputs[0] = rand(6, 1, 5, 4);
        for (int i = 0; i < 4; i++) inputs[i + 1] = p.get(names[i]).value();
        GradCheck.Report r = GradCheck.check(in -> GptOssExperts.forward(in[0], in[1], in[2], in[3], in[4], counts), inputs, EPS, ATOL, RTOL, 9);
        assertTrue(r.passed(), r.detail());
    }

    /** Float64 experts with values of a few units, so that both clamps are hit. */
    private static GptOssExperts experts() {
        GptOssExperts experts = new GptOssExperts(3, 4, 3, new Generator(9));
        long seed = 20;
        for (Parameter p : experts.namedParameters().values()) p.setValue(rand(seed++, 2.5, p.shape()));
        return experts;
    }
}
