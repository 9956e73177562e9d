package io.jswift.autograd;

import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-token log-probabilities through the chunked LM head: against a float64 naive loop, finite differences, stats. */
class LinearLogProbsTest {
    private static final long[] TARGETS = {3, -100, 49, 0, 17, -100, 8};

    private static Tensor rand(DType dtype, long seed, int... shape) {
        Random r = new Random(seed);
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return Tensor.of(v, shape).to(dtype);
    }

    /** log softmax(x·Wᵀ)[target] per row in float64, 0 for ignored rows. */
    private static double[] naive(Tensor x, Tensor w, long[] targets) {
        int n = x.size(0), h = x.size(1), v = w.size(0);
        double[] xs = x.toDoubleArray(), ws = w.toDoubleArray(), out = new double[n];
        for (int i = 0; i < n; i++) {
            if (targets[i] == Losses.IGNORE_INDEX) continue;
            double[] z = new double[v];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                for (int c = 0; c < h; c++) z[k] += xs[i * h + c] * ws[k * h + c];
                max = Math.max(max, z[k]);
            }
            double sum = 0;
            for (double zk : z) sum += Math.exp(zk - max);
            out[i] = z[(int) targets[i]] - max - Math.log(sum);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 256})
    void equalsTheNaiveLogSoftmaxAndTheComposedGradient(int chunkRows) {
        int n = 7, h = 16, v = 50;
        Tensor x = rand(DType.F32, 1, n, h), w = rand(DType.F32, 2, v, h);
        Tensor targets = Tensor.ofLongs(TARGETS, n);
        Variable xa = Variable.leaf(x, true), wa = Variable.leaf(w, true), xb = Variable.leaf(x.copy(), true), wb = Variable.leaf(w.copy(), true);
        Variable fused = Losses.linearLogProbs(xa, wa, targets, Losses.IGNORE_INDEX, null, chunkRows);
        double[] expected = naive(x, w, TARGETS), got = fused.value().toDoubleArray();
        for (int i = 0; i < n; i++) assertEquals(expected[i], got[i], 1e-5 * (1 + Math.abs(expected[i])), "row " + i);
        // the composition: -crossEntropyRows(linear(x, W)); a per-row upstream gradient
        Variable plain = io.jswift.autograd.ops.Elementwise.scale(
                Losses.crossEntropyRows(LinearAlgebra.linear(xb, wb, null), targets, Losses.IGNORE_INDEX), -1.0);
        Tensor g = rand(DType.F32, 9, n);
        fused.backward(g, false);
        plain.backward(g.copy(), false);
        assertClose(xb.grad(), xa.grad(), "dhidden");
        assertClose(wb.grad(), wa.grad(), "dweight");
    }

    @Test
    void finiteDifferencesInFloat64() {
        int n = 5, h = 4, v = 9;
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 8, 0, 5}, n);
        GradCheck.Report r = GradCheck.check(in -> Losses.linearLogProbs(in[0], in[1], targets, Losses.IGNORE_INDEX, null, 2),
                new Tensor[]{rand(DType.F64, 3, n, h), rand(DType.F64, 4, v, h)}, 1e-6, 1e-7, 1e-5, 11);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void statsAreEntropyMeanLogitAndArgmaxHit() {
        int n = 7, h = 16, v = 50;
        Tensor x = rand(DType.F32, 5, n, h), w = rand(DType.F32, 6, v, h);
        TokenStats stats = new TokenStats(n);
        Losses.linearLogProbs(Variable.constant(x), Variable.constant(w), Tensor.ofLongs(TARGETS, n), Losses.IGNORE_INDEX, stats, 3);
        double[] z = LinearAlgebra.linear(Variable.constant(x.to(DType.F64)), Variable.constant(w.to(DType.F64)), null).value().toDoubleArray();
        int hits = 0;
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, mean = 0, sum = 0, ent = 0;
            int arg = 0;
            for (int k = 0; k < v; k++) {
                double zk = z[i * v + k];
                mean += zk / v;
                if (zk > max) { max = zk; arg = k; }
            }
            for (int k = 0; k < v; k++) sum += Math.exp(z[i * v + k] - max);
            for (int k = 0; k < v; k++) {
                double lp = z[i * v + k] - max - Math.log(sum);
                ent -= Math.exp(lp) * lp;
            }
            assertEquals(ent, stats.entropy(i), 1e-4, "entropy row " + i);
            assertEquals(mean, stats.meanLogit(i), 1e-5, "mean logit row " + i);
            assertEquals(arg == TARGETS[i], stats.argmaxHit(i), "argmax row " + i);
            if (stats.argmaxHit(i)) hits++;
        }
        assertTrue(hits < n);
    }

    @Test
    void aFrozenHeadAndNoGradKeepNothing() {
        Tensor x = rand(DType.F32, 7, 4, 8), w = rand(DType.F32, 8, 10, 8);
        Variable lp = Losses.linearLogProbs(Variable.leaf(x, false), Variable.constant(w), Tensor.ofLongs(new long[]{1, 2, 3, 4}, 4),
                Losses.IGNORE_INDEX, null);
        assertFalse(lp.requiresGrad());
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-6 + 1e-5 * Math.abs(e[i]), what + " element " + i);
    }
}
