package io.jswift.nn.deltanet;

import io.jswift.autograd.GradCheck;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.nn.Activation;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Gated DeltaNet block in float64: finite-difference gradients of the delta rule, the causal conv and the whole
 * block (input and every weight), a float64 loop written from the recurrence's definition as the forward's oracle, the
 * chunked form equal to the token loop,
 * incremental calls carrying the state equal to one call, and segment resets equal to separate sequences.
 */
class GatedDeltaNetTest {
    private static Tensor random(Random r, double scale, double shift, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = shift + scale * r.nextGaussian();
        return Tensor.of(v, shape);
    }

    private static Tensor uniform(Random r, double lo, double hi, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return Tensor.of(v, shape);
    }

    private static void assertGrad(GradCheck.Fn fn, Tensor... inputs) {
        GradCheck.Report r = GradCheck.check(fn, inputs, 1e-6, 1e-7, 1e-5, 7);
        assertTrue(r.passed(), r.detail());
    }

    @Test
    void deltaRuleGradientsMatchFiniteDifferences() {
        Random r = new Random(1);
        int b = 2, t = 5, h = 2, dk = 3, dv = 4;
        Tensor state = random(r, 0.5, 0, b, h, dk, dv);
        Tensor keep = Tensor.of(new float[]{1, 1, 0, 1, 1, 1, 1, 1, 1, 0}, b, t);
        assertGrad(v -> GatedDeltaRule.recurrent(v[0], v[1], v[2], v[3], v[4], state, keep).output(),
                random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dv),
                uniform(r, -1.5, -0.05, b, t, h), uniform(r, 0.1, 0.9, b, t, h));
        // the final state (what decoding carries on) too, from a zero start
        assertGrad(v -> GatedDeltaRule.recurrent(v[0], v[1], v[2], v[3], v[4], null, null).state(),
                random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dv),
                uniform(r, -1.5, -0.05, b, t, h), uniform(r, 0.1, 0.9, b, t, h));
    }

    /** The chunked form (chunks of 4 over 10 tokens: two full chunks and a padded one) against finite differences. */
    @Test
    void chunkedGradientsMatchFiniteDifferences() {
        Random r = new Random(11);
        int b = 1, t = 10, h = 2, dk = 3, dv = 2;
        Tensor state = random(r, 0.5, 0, b, h, dk, dv);
        assertGrad(v -> GatedDeltaRule.chunked(v[0], v[1], v[2], v[3], v[4], state, 4).output(),
                random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dv),
                uniform(r, -1.5, -0.05, b, t, h), uniform(r, 0.1, 0.9, b, t, h));
        assertGrad(v -> GatedDeltaRule.chunked(v[0], v[1], v[2], v[3], v[4], null, 4).state(),
                random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dk), random(r, 1, 0, b, t, h, dv),
                uniform(r, -1.5, -0.05, b, t, h), uniform(r, 0.1, 0.9, b, t, h));
    }

    /** Chunks of any size (padded tails included) give the token loop's outputs and final state. */
    @Test
    void chunkedEqualsRecurrent() {
        Random r = new Random(12);
        int b = 2, t = 23, h = 3, dk = 4, dv = 5;
        Variable q = Variable.constant(random(r, 1, 0, b, t, h, dk)), k = Variable.constant(random(r, 1, 0, b, t, h, dk));
        Variable v = Variable.constant(random(r, 1, 0, b, t, h, dv)), g = Variable.constant(uniform(r, -3, -0.01, b, t, h));
        Variable beta = Variable.constant(uniform(r, 0.05, 0.95, b, t, h));
        Tensor state = random(r, 0.5, 0, b, h, dk, dv);
        try (var s = GradMode.noGrad()) {
            GatedDeltaRule.Result want = GatedDeltaRule.recurrent(q, k, v, g, beta, state, null);
            for (int chunk : new int[]{1, 4, 8, 16, 23, 64}) {
                GatedDeltaRule.Result got = GatedDeltaRule.chunked(q, k, v, g, beta, state, chunk);
                assertClose(want.output().value(), got.output().value(), 1e-10, "output, chunk " + chunk);
                assertClose(want.state().value(), got.state().value(), 1e-10, "state, chunk " + chunk);
            }
        }
    }

    private static void assertClose(Tensor want, Tensor got, double tol, String what) {
        double[] a = want.contiguous().toDoubleArray(), c = got.contiguous().toDoubleArray();
        assertTrue(a.length == c.length, what + ": sizes " + a.length + " vs " + c.length);
        for (int i = 0; i < a.length; i++) assertTrue(Math.abs(a[i] - c[i]) <= tol * (1 + Math.abs(a[i])), what + " element " + i + ": " + c[i] + " vs " + a[i]);
    }

    /** The recurrence as transformers' torch_recurrent_gated_delta_rule states it, one head at a time in double. */
    @Test
    void deltaRuleEqualsTheRecurrenceLoop() {
        Random r = new Random(2);
        int b = 1, t = 6, h = 2, dk = 3, dv = 2;
        Tensor q = random(r, 1, 0, b, t, h, dk), k = random(r, 1, 0, b, t, h, dk), v = random(r, 1, 0, b, t, h, dv);
        Tensor g = uniform(r, -1, -0.1, b, t, h), beta = uniform(r, 0.1, 0.9, b, t, h);
        double[] out;
        try (var s = GradMode.noGrad()) {
            out = GatedDeltaRule.recurrent(Variable.constant(q), Variable.constant(k), Variable.constant(v), Variable.constant(g), Variable.constant(beta),
                    null, null).output().value().contiguous().toDoubleArray();
        }
        double max = 0;
        for (int head = 0; head < h; head++) {
            double[][] st = new double[dk][dv];
            for (int i = 0; i < t; i++) {
                double[] qi = unit(q, i, head, dk), ki = unit(k, i, head, dk);
                for (int a = 0; a < dk; a++) qi[a] /= Math.sqrt(dk);
                double decay = Math.exp(g.getDouble(0, i, head)), bt = beta.getDouble(0, i, head);
                for (int a = 0; a < dk; a++) for (int c = 0; c < dv; c++) st[a][c] *= decay;
                for (int c = 0; c < dv; c++) {
                    double mem = 0;
                    for (int a = 0; a < dk; a++) mem += st[a][c] * ki[a];
                    double delta = (v.getDouble(0, i, head, c) - mem) * bt;
                    for (int a = 0; a < dk; a++) st[a][c] += ki[a] * delta;
                }
                for (int c = 0; c < dv; c++) {
                    double o = 0;
                    for (int a = 0; a < dk; a++) o += st[a][c] * qi[a];
                    max = Math.max(max, Math.abs(o - out[(i * h + head) * dv + c]));
                }
            }
        }
        assertTrue(max < 1e-12, "max abs difference " + max);
    }

    private static double[] unit(Tensor x, int i, int head, int d) {
        double[] u = new double[d];
        double ss = 0;
        for (int a = 0; a < d; a++) {
            u[a] = x.getDouble(0, i, head, a);
            ss += u[a] * u[a];
        }
        for (int a = 0; a < d; a++) u[a] /= Math.sqrt(ss + 1e-6);
        return u;
    }

    private static GatedDeltaNet block(long seed) {
        // 2 key heads of 3, 4 value heads of 2 (two per key head), conv of 3 taps, hidden 5
        GatedDeltaNet net = new GatedDeltaNet(5, 2, 4, 3, 2, 3, 1e-5, Activation.fromHf("silu"), new Generator(seed));
        Random r = new Random(seed);
        for (Parameter p : net.namedParameters().values()) {
            Tensor v = p.value().to(DType.F64).contiguous();
            double[] d = v.toDoubleArray();
            for (int i = 0; i < d.length; i++) d[i] += 0.1 * r.nextGaussian(); // dt_bias and the norm away from their constant init
            p.setValue(Tensor.of(d, v.shape()));
        }
        net.requiresGrad(true);
        return net;
    }

    @Test
    void blockGradientsMatchFiniteDifferences() {
        GatedDeltaNet net = block(3);
        Random r = new Random(4);
        Tensor x = random(r, 1, 0, 2, 4, 5);
        Tensor segments = Tensor.ofInts(new int[]{0, 0, 1, 1, 3, 3, 3, 3}, 2, 4);
        assertGrad(v -> net.forward(v[0], null, segments), x.contiguous());             // token by token (resets)
        assertWeightGradients(net, () -> net.forward(Variable.constant(x), null, segments));
        assertWeightGradients(net, () -> net.forward(Variable.constant(x), null, null)); // in chunks
    }

    /** d(sum(out · R))/dw of every weight against central differences. */
    private static void assertWeightGradients(Module m, Supplier<Variable> out) {
        Random r = new Random(5);
        Variable y = out.get();
        Tensor projection = random(r, 1, 0, y.shape());
        m.zeroGrad();
        y.backward(projection, false);
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            Tensor w = e.getValue().value();
            double[] analytic = e.getValue().grad().contiguous().toDoubleArray();
            int[] shape = w.shape();
            for (int i = 0; i < analytic.length; i++) {
                int[] idx = unravel(i, shape);
                double orig = w.getDouble(idx), eps = 1e-6;
                w.setDouble(orig + eps, idx);
                double plus = projected(out, projection);
                w.setDouble(orig - eps, idx);
                double minus = projected(out, projection);
                w.setDouble(orig, idx);
                double numeric = (plus - minus) / (2 * eps);
                assertTrue(Math.abs(analytic[i] - numeric) <= 1e-7 + 1e-5 * Math.abs(numeric),
                        e.getKey() + " element " + i + ": analytic " + analytic[i] + ", numeric " + numeric);
            }
        }
    }

    private static double projected(Supplier<Variable> out, Tensor projection) {
        try (var s = GradMode.noGrad()) {
            double[] y = out.get().value().contiguous().toDoubleArray(), p = projection.toDoubleArray();
            double sum = 0;
            for (int i = 0; i < y.length; i++) sum += y[i] * p[i];
            return sum;
        }
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    @Test
    void convGradientsMatchFiniteDifferences() {
        Random r = new Random(6);
        Tensor window = random(r, 1, 0, 2, 2, 4);
        Tensor mask = uniform(r, 0, 1, 2, 3, 3);
        assertGrad(v -> CausalConv1d.convolve(v[0], v[1], window, mask), random(r, 1, 0, 2, 3, 4), random(r, 1, 0, 4, 1, 3));
        assertGrad(v -> CausalConv1d.convolve(v[0], v[1], null, null), random(r, 1, 0, 2, 3, 4), random(r, 1, 0, 4, 1, 3));
    }

    /** Incremental calls carrying the conv window and recurrent state equal one call over the whole sequence. */
    @Test
    void incrementalCallsEqualOneCall() {
        GatedDeltaNet net = block(7);
        Tensor x = random(new Random(8), 1, 0, 2, 7, 5);
        try (var s = GradMode.noGrad()) {
            double[] whole = net.forward(Variable.constant(x), null, null).value().contiguous().toDoubleArray();
            DeltaNetState state = new DeltaNetState();
            double[] first = net.forward(Variable.constant(x.narrow(1, 0, 4).contiguous()), state, null).value().contiguous().toDoubleArray();
            double[] rest = net.forward(Variable.constant(x.narrow(1, 4, 1).contiguous()), state, null).value().contiguous().toDoubleArray();
            double[] last = net.forward(Variable.constant(x.narrow(1, 5, 2).contiguous()), state, null).value().contiguous().toDoubleArray();
            int c = 5;
            for (int row = 0; row < 2; row++) {
                for (int i = 0; i < 7; i++) {
                    for (int j = 0; j < c; j++) {
                        double got = i < 4 ? first[(row * 4 + i) * c + j] : i == 4 ? rest[row * c + j] : last[(row * 2 + i - 5) * c + j];
                        double want = whole[(row * 7 + i) * c + j];
                        // the state is carried in float32
                        assertTrue(Math.abs(got - want) < 1e-5 * (1 + Math.abs(want)), "row " + row + " token " + i + ": " + got + " vs " + want);
                    }
                }
            }
        }
    }

    /** A packed row (segments 1 then 2) equals its two samples run alone. */
    @Test
    void segmentsRestartTheState() {
        GatedDeltaNet net = block(9);
        Tensor x = random(new Random(10), 1, 0, 1, 7, 5);
        try (var s = GradMode.noGrad()) {
            Tensor packed = net.forward(Variable.constant(x), null, Tensor.ofInts(new int[]{1, 1, 1, 2, 2, 2, 2}, 1, 7)).value();
            Tensor a = net.forward(Variable.constant(x.narrow(1, 0, 3).contiguous()), null, null).value();
            Tensor b = net.forward(Variable.constant(x.narrow(1, 3, 4).contiguous()), null, null).value();
            double[] p = packed.contiguous().toDoubleArray(), sa = a.contiguous().toDoubleArray(), sb = b.contiguous().toDoubleArray();
            for (int i = 0; i < p.length; i++) {
                double want = i < sa.length ? sa[i] : sb[i - sa.length];
                assertTrue(Math.abs(p[i] - want) < 1e-12, "element " + i + ": " + p[i] + " vs " + want);
            }
        }
    }
}
