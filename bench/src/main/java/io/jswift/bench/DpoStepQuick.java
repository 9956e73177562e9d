package io.jswift.bench;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.train.encode.Encoded;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.pref.PreferencePair;
import io.jswift.train.pref.Reference;
import io.jswift.train.pref.ScoredTokens;
import io.jswift.train.pref.SharedPrefixRows;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The compute of one LoRA DPO micro-batch — the reference's log-probs (adapter disabled, no graph), the policy's
 * forward and its backward — with TRL's two rows per pair against one shared-prefix row per pair
 * ({@link SharedPrefixRows}), alternating the two on the same model, pairs and JVM; the split per phase and tokens/s
 * (prompt + chosen + rejected tokens per second, as the DPO benchmark counts them) and the JIT compiler's time during
 * the step (the first step's warm-up). Random token ids: every pair's
 * replies differ from their first token, so only the prompt is shared. No optimizer step (the same for both).
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.DpoStepQuick MODEL_DIR [PAIRS=2] [PROMPT=430] [REPLY=43] [STEPS=2]</pre>
 */
public final class DpoStepQuick {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int pairs = arg(args, 1, 2), prompt = arg(args, 2, 430), reply = arg(args, 3, 43), steps = arg(args, 4, 2);
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        LoraInjector.inject(model, new LoraConfig(8, 32, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), new Generator(0));
        model.train(true);
        Reference reference = Reference.adaptersDisabled(model);
        System.out.printf(Locale.ROOT, "%s: %d pairs of %d prompt + 2 x %d reply tokens, %d steps per layout, shares prefixes: %s%n",
                dir, pairs, prompt, reply, steps, model.sharesPrefixes());
        Random r = new Random(0);
        // compiler threads' time (ms) spent in the JIT during each step: the first step's extra time is C2 compiling the
        // Vector API kernels while they still run interpreted / in C1
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        for (int step = 1; step <= steps; step++) {
            List<PreferencePair> batch = pairs(r, pairs, prompt, reply, model.vocabSize());
            long tokens = batch.stream().mapToLong(PreferencePair::tokens).sum();
            for (boolean shared : new boolean[]{false, true}) {
                ScoredTokens in = shared ? SharedPrefixRows.collate(batch) : ScoredTokens.of(PreferencePair.collate(batch));
                long jit0 = jit.getTotalCompilationTime();
                long t0 = System.nanoTime();
                double[] ref = reference.logProbs(in);
                long t1 = System.nanoTime();
                CompletionLogProbs lp = CompletionLogProbs.of(model, in, false, true);
                long t2 = System.nanoTime();
                weightedSum(lp.sums(), ref.length).backward();
                long t3 = System.nanoTime();
                for (Parameter p : model.trainableParameters()) p.zeroGrad();
                double total = (t3 - t0) / 1e9;
                System.out.printf(Locale.ROOT, "step %d %-9s input [%d, %d]  reference %.2f s  policy forward %.2f s  backward %.2f s  total %.2f s  %.1f tok/s  JIT compiling %.1f s%n",
                        step, shared ? "shared" : "two-rows", in.rows(), in.width(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, total, tokens / total,
                        (jit.getTotalCompilationTime() - jit0) / 1e3);
            }
        }
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }

    /** Σ_s (s + 1)·sums[s]: a scalar whose gradient reaches every completion token. */
    private static Variable weightedSum(Variable sums, int s) {
        float[] w = new float[s];
        for (int i = 0; i < s; i++) w[i] = i + 1;
        return LinearAlgebra.matmul(Views.reshape(sums, 1, s), Variable.constant(Tensor.of(w, s, 1)), false, false);
    }

    /** Pairs of random ids (from 1): one prompt, two replies whose first tokens differ. */
    private static List<PreferencePair> pairs(Random r, int n, int prompt, int reply, int vocab) {
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = ids(r, prompt, vocab), chosen = ids(r, reply, vocab), rejected = ids(r, reply, vocab);
            rejected[0] = chosen[0] % (vocab - 1) + 1;
            out.add(new PreferencePair(sequence(p, chosen), sequence(p, rejected)));
        }
        return out;
    }

    private static int[] ids(Random r, int n, int vocab) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = 1 + r.nextInt(Math.min(vocab, 150_000) - 1);
        return x;
    }

    private static Encoded sequence(int[] prompt, int[] completion) {
        int n = prompt.length + completion.length;
        int[] ids = new int[n], labels = new int[n];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        Arrays.fill(labels, 0, prompt.length, Encoded.IGNORE);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        System.arraycopy(completion, 0, labels, prompt.length, completion.length);
        return new Encoded(ids, labels);
    }
}
