package io.jswift.bench;

import io.jswift.autograd.Variable;
import io.jswift.nn.deltanet.GatedDeltaRule;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

import java.util.Locale;

/**
 * The gated delta rule of Qwen3-Next's linear-attention layers on the CPU backend, forward + backward over one sequence:
 * the chunked form (chunks of 64, what prompts and training run) against the token loop (what a single decode token and
 * rows with segment resets run). Shaped like one layer's value heads at a reduced count (Qwen3-Next-80B: 32 heads of
 * Dk = Dv = 128); both get the same inputs (GatedDeltaNetTest checks that they agree).
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.DeltaNetQuick [TOKENS=512] [HEADS=8] [HEAD_DIM=128] [REPS=3]</pre>
 */
public final class DeltaNetQuick {
    private DeltaNetQuick() {}

    public static void main(String[] args) {
        int t = arg(args, 0, 512), h = arg(args, 1, 8), d = arg(args, 2, 128), reps = arg(args, 3, 3);
        Generator gen = new Generator(1);
        Tensor q = random(gen, 1, t, h, d), k = random(gen, 1, t, h, d), v = random(gen, 1, t, h, d);
        Tensor g = uniform(gen, -1, -0.01, 1, t, h), beta = uniform(gen, 0.1, 0.9, 1, t, h), dy = random(gen, 1, t, h, d);
        double chunked = best(reps, () -> step(q, k, v, g, beta, dy, true)), recurrent = best(reps, () -> step(q, k, v, g, beta, dy, false));
        System.out.printf(Locale.ROOT, "delta rule fwd+bwd T=%d H=%d D=%d: chunked %.1f ms, token loop %.1f ms (chunked %.2fx faster)%n",
                t, h, d, chunked * 1e3, recurrent * 1e3, recurrent / chunked);
    }

    private static void step(Tensor q, Tensor k, Tensor v, Tensor g, Tensor beta, Tensor dy, boolean chunked) {
        Variable[] in = {Variable.leaf(q, true), Variable.leaf(k, true), Variable.leaf(v, true), Variable.leaf(g, true), Variable.leaf(beta, true)};
        GatedDeltaRule.Result r = chunked ? GatedDeltaRule.chunked(in[0], in[1], in[2], in[3], in[4], null, GatedDeltaRule.CHUNK)
                : GatedDeltaRule.recurrent(in[0], in[1], in[2], in[3], in[4], null, null);
        r.output().backward(dy, false);
    }

    private static double best(int reps, Runnable run) {
        run.run(); // warm-up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            run.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }

    private static Tensor random(Generator gen, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        t.backend().fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return t;
    }

    private static Tensor uniform(Generator gen, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        t.backend().fillRandom(t, new RandomSpec.Uniform(lo, hi), gen);
        return t;
    }
}
