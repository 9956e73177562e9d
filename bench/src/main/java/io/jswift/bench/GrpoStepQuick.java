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
import io.jswift.train.grpo.GrpoObjective;
import io.jswift.train.grpo.GrpoReference;
import io.jswift.train.grpo.Rollout;
import io.jswift.train.grpo.SharedPromptRows;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.pref.ScoredTokens;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The log-prob and training compute of one LoRA GRPO micro-batch — the reference's per-token log-probs (adapter
 * disabled, no graph), the policy's forward at the sampling temperature and its backward — with TRL's one
 * prompt + completion row per completion against one row per prompt holding its completions behind it
 * ({@link SharedPromptRows}), alternating the two on the same model, completions and JVM; the split per phase and
 * tokens/s (prompt + completion tokens per completion per second, as the GRPO benchmark counts them). Random ids; no
 * generation, rewards or optimizer step (the same for both layouts).
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.GrpoStepQuick MODEL_DIR [PROMPTS=8] [GENERATIONS=8] [PROMPT=80] [COMPLETION=128] [STEPS=2]</pre>
 */
public final class GrpoStepQuick {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int prompts = arg(args, 1, 8), generations = arg(args, 2, 8), prompt = arg(args, 3, 80), completion = arg(args, 4, 128), steps = arg(args, 5, 2);
        double temperature = 0.9;
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        LoraInjector.inject(model, new LoraConfig(8, 32, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), new Generator(0));
        model.train(true);
        GrpoReference reference = GrpoReference.adaptersDisabled(model);
        System.out.printf(Locale.ROOT, "%s: %d prompts of %d tokens x %d completions of %d tokens, %d steps per layout, shares prefixes: %s%n",
                dir, prompts, prompt, generations, completion, steps, model.sharesPrefixes());
        Random r = new Random(0);
        for (int step = 1; step <= steps; step++) {
            List<Rollout> batch = rollouts(r, prompts, generations, prompt, completion, model.vocabSize());
            long tokens = (long) prompts * generations * (prompt + completion);
            for (boolean shared : new boolean[]{false, true}) {
                ScoredTokens in = (shared ? SharedPromptRows.collate(batch) : GrpoObjective.unshared(batch)).to(model.device());
                long t0 = System.nanoTime();
                double[] ref = reference.perToken(in, temperature);
                long t1 = System.nanoTime();
                Variable logps = CompletionLogProbs.perToken(model, in, false, temperature);
                long t2 = System.nanoTime();
                weightedSum(logps, ref.length).backward();
                long t3 = System.nanoTime();
                for (Parameter p : model.trainableParameters()) p.zeroGrad();
                double total = (t3 - t0) / 1e9;
                System.out.printf(Locale.ROOT, "step %d %-8s input [%d, %d]  reference %.2f s  policy forward %.2f s  backward %.2f s  total %.2f s  %.1f tok/s%n",
                        step, shared ? "shared" : "unshared", in.rows(), in.width(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, total, tokens / total);
            }
        }
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }

    /** Σ_k w_k·logps[k] with w_k = 1 + k mod 7: a scalar whose gradient reaches every completion token. */
    private static Variable weightedSum(Variable logps, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = 1 + i % 7;
        return LinearAlgebra.matmul(Views.reshape(logps, 1, n), Variable.constant(Tensor.of(w, n, 1)), false, false);
    }

    /** Random ids (from 1): each prompt with {@code generations} completions of {@code completion} tokens. */
    private static List<Rollout> rollouts(Random r, int prompts, int generations, int prompt, int completion, int vocab) {
        List<Rollout> out = new ArrayList<>();
        for (int p = 0; p < prompts; p++) {
            int[] ids = ids(r, prompt, vocab);
            for (int g = 0; g < generations; g++) out.add(new Rollout(p, ids, ids(r, completion, vocab), false));
        }
        return out;
    }

    private static int[] ids(Random r, int n, int vocab) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) x[i] = 1 + r.nextInt(Math.min(vocab, 150_000) - 1);
        return x;
    }
}
