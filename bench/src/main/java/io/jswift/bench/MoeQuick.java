package io.jswift.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.OperatingSystemMXBean;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.nn.Activation;
import io.jswift.nn.GatedMlp;
import io.jswift.nn.moe.MoeExperts;
import io.jswift.nn.moe.Routing;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;

/**
 * MoE on the CPU backend, two comparisons measured in one run.
 * <ol>
 * <li>Experts forward + backward shaped like one Qwen3-30B-A3B layer (E = 128 experts, top-8; hidden scaled down):
 *     the grouped expert GEMMs ({@link MoeExperts} on N tokens routed at random, N·k rows) against one dense gated MLP
 *     of the same intermediate size on the same N·k rows — the same FLOPs, so the ratio of GFLOPS is the grouping's cost
 *     (goal: >= 0.5). Also printed: each side's process CPU time (on a busy machine the wall clock counts the other
 *     jobs' turns; CPU time counts this process's work and stalls) and the grouped step's memory floor — the bytes it
 *     must move (the experts' weights read in the forward and again in the backward, their gradients read and written)
 *     at this machine's streaming rate, timed in the same run (a read-modify-write pass over a gradient-sized array
 *     on every core): the dense MLP's weights stay in cache, the experts' do not.</li>
 * <li>Decode, one token at a time with a KV cache, the two models taking turns token by token (medians): a small Qwen3-MoE against a dense Qwen3 whose MLP has the same active
 *     parameters (intermediate = k · moe_intermediate), same attention (goal: MoE within 1.3x of dense).</li>
 * </ol>
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.MoeQuick [TOKENS=256] [HIDDEN=1024] [MOE_INTERMEDIATE=384] [REPS=5] [DECODE_TOKENS=32]</pre>
 */
public final class MoeQuick {
    private static final int EXPERTS = 128, TOP_K = 8;

    public static void main(String[] args) throws Exception {
        int tokens = arg(args, 0, 256), hidden = arg(args, 1, 1024), inter = arg(args, 2, 384), reps = arg(args, 3, 5), decode = arg(args, 4, 32);
        experts(tokens, hidden, inter, reps);
        decode(decode);
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }

    private static void experts(int tokens, int hidden, int inter, int reps) {
        Generator gen = new Generator(1);
        int rows = tokens * TOP_K;
        MoeExperts moe = new MoeExperts(EXPERTS, hidden, inter, Activation.SILU, gen);
        GatedMlp dense = new GatedMlp(hidden, inter, false, Activation.SILU, gen);
        double[] scores = new double[tokens * EXPERTS];
        java.util.Random r = new java.util.Random(7);
        for (int i = 0; i < scores.length; i++) scores[i] = r.nextGaussian();
        int[] counts = Routing.topK(scores, tokens, EXPERTS, TOP_K).counts();
        Tensor x = random(gen, rows, hidden), dy = random(gen, rows, hidden);
        double flop = 3 * 2.0 * rows * hidden * (3.0 * inter); // forward 2·M·C·3I, backward twice that
        // the two sides alternate rep by rep, so that a busy machine's slow spells hit both alike
        // gradients accumulate across reps (gradient accumulation: added into .grad in place); the third side starts
        // each step from no gradients (an optimizer step's zero_grad before it), so they are written new
        float[] stream = new float[(int) Math.min(1L << 27, (long) EXPERTS * 2 * inter * hidden)]; // the gate/up gradient's size, at most 512 MiB
        Timing[] t = bestSeconds(reps, () -> step(moe.forward(Variable.leaf(x, true), counts), dy), () -> step(dense.forward(Variable.leaf(x, true)), dy),
                () -> {
                    moe.zeroGrad();
                    dense.zeroGrad();
                    return step(moe.forward(Variable.leaf(x, true), counts), dy);
                }, () -> readModifyWrite(stream));
        double grouped = t[0].wall(), plain = t[1].wall();
        System.out.printf(Locale.ROOT, "experts fwd+bwd: %d tokens x top-%d of %d experts, C=%d, I=%d: grouped %.1f GFLOPS (%.1f ms), "
                        + "dense same FLOPs %.1f GFLOPS (%.1f ms), ratio %.2f%n", tokens, TOP_K, EXPERTS, hidden, inter,
                flop / grouped / 1e9, grouped * 1e3, flop / plain / 1e9, plain * 1e3, plain / grouped);
        System.out.printf(Locale.ROOT, "  grouped from zeroed gradients (written, not accumulated): %.1f GFLOPS (%.1f ms), ratio %.2f%n",
                flop / t[2].wall() / 1e9, t[2].wall() * 1e3, plain / t[2].wall());
        System.out.printf(Locale.ROOT, "  process CPU time: grouped %.0f ms, dense %.0f ms, ratio %.2f; from zeroed gradients %.0f ms, ratio %.2f%n",
                t[0].cpu() * 1e3, t[1].cpu() * 1e3, t[1].cpu() / t[0].cpu(), t[2].cpu() * 1e3, t[1].cpu() / t[2].cpu());
        double rate = 2.0 * 4 * stream.length / t[3].wall(); // bytes read + written per second
        double bytes = 4.0 * 4 * EXPERTS * 3.0 * inter * hidden; // weights read twice, gradients read and written (f32)
        System.out.printf(Locale.ROOT, "  memory floor of the grouped step: %.2f GB at %.1f GB/s (read-modify-write stream, all cores) = %.0f ms, "
                + "%.0f%% of the grouped step's time%n", bytes / 1e9, rate / 1e9, bytes / rate * 1e3, 100 * bytes / rate / grouped);
        System.out.println("  rows per expert: min " + Arrays.stream(counts).min().orElse(0) + ", max " + Arrays.stream(counts).max().orElse(0));
    }

    private static double step(Variable y, Tensor dy) {
        y.backward(dy, false);
        return 0;
    }

    private static void decode(int steps) throws Exception {
        int moeInter = 128, layers = 4;
        ObjectNode moe = config("Qwen3MoeForCausalLM", layers);
        moe.put("num_experts", 64).put("num_experts_per_tok", TOP_K).put("moe_intermediate_size", moeInter).put("norm_topk_prob", true);
        ObjectNode dense = config("Qwen3ForCausalLM", layers);
        dense.put("intermediate_size", TOP_K * moeInter);
        double[] t = decodeSeconds(model(moe), model(dense), steps);
        double tMoe = t[0], tDense = t[1];
        System.out.printf(Locale.ROOT, "decode %d tokens, %d layers, hidden 512: Qwen3-MoE (64 experts, top-%d, I=%d) %.2f ms/token, "
                + "dense Qwen3 (I=%d) %.2f ms/token, MoE/dense %.2fx (medians, tokens alternated)%n", steps, layers, TOP_K, moeInter, tMoe * 1e3,
                TOP_K * moeInter, tDense * 1e3, tMoe / tDense);
    }

    private static ObjectNode config(String arch, int layers) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add(arch);
        c.put("vocab_size", 4096).put("hidden_size", 512).put("intermediate_size", 1024).put("num_hidden_layers", layers)
                .put("num_attention_heads", 8).put("num_key_value_heads", 2).put("head_dim", 64).put("rms_norm_eps", 1e-6).put("dtype", "float32");
        return c;
    }

    private static CausalLm model(ObjectNode json) {
        ModelConfig c = Architectures.of(ConfigJson.of(Path.of("bench.json"), json)).parser().parse(ConfigJson.of(Path.of("bench.json"), json));
        return Architectures.newCausalLm(((ModelConfig.Decoder) c).config(), new Generator(3));
    }

    /**
     * Median seconds per decoded token of each model, one token of one then one of the other, so that both see the
     * same load (a busy machine's slow spells had moved one side's number by 2x against the other's).
     */
    private static double[] decodeSeconds(CausalLm first, CausalLm second, int steps) {
        try (var s = GradMode.noGrad()) {
            CausalLm[] models = {first, second};
            KvCache[] caches = new KvCache[2];
            double[][] times = new double[2][steps];
            for (int m = 0; m < 2; m++) {
                caches[m] = models[m].newCache(1, steps + 8);
                models[m].forward(new DecoderInput(Tensor.ofLongs(new long[]{1, 2, 3, 4}, 1, 4), null, null, caches[m], false)); // prefill, warm-up
            }
            for (int i = 0; i < steps; i++) {
                for (int m = 0; m < 2; m++) {
                    long t0 = System.nanoTime();
                    models[m].forward(new DecoderInput(Tensor.ofLongs(new long[]{5 + i}, 1, 1), null, null, caches[m], false), 1);
                    times[m][i] = (System.nanoTime() - t0) / 1e9;
                }
            }
            return new double[]{median(times[0]), median(times[1])};
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static Tensor random(Generator gen, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        t.backend().fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return t;
    }

    /** The best wall-clock and process CPU seconds of one side. */
    private record Timing(double wall, double cpu) {}

    /**
     * The best of {@code reps} timed runs of each side after one warm-up each, the sides alternating; wall and CPU
     * time minimized separately.
     */
    private static Timing[] bestSeconds(int reps, DoubleSupplier... sides) {
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (DoubleSupplier side : sides) side.getAsDouble();
        double[] wall = new double[sides.length], cpu = new double[sides.length];
        Arrays.fill(wall, Double.MAX_VALUE);
        Arrays.fill(cpu, Double.MAX_VALUE);
        for (int i = 0; i < reps; i++) {
            for (int j = 0; j < sides.length; j++) {
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                sides[j].getAsDouble();
                wall[j] = Math.min(wall[j], (System.nanoTime() - t0) / 1e9);
                cpu[j] = Math.min(cpu[j], (os.getProcessCpuTime() - c0) / 1e9);
            }
        }
        Timing[] t = new Timing[sides.length];
        for (int j = 0; j < sides.length; j++) t[j] = new Timing(wall[j], cpu[j]);
        return t;
    }

    /** One read-modify-write pass over {@code a}, split across the cores: the machine's streaming rate. */
    private static double readModifyWrite(float[] a) {
        int parts = Runtime.getRuntime().availableProcessors();
        IntStream.range(0, parts).parallel().forEach(p -> {
            int from = (int) ((long) a.length * p / parts), to = (int) ((long) a.length * (p + 1) / parts);
            for (int i = from; i < to; i++) a[i] = a[i] * 0.5f + 1e-3f;
        });
        return 0;
    }
}
