package io.jswift.bench;

import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.generate.SamplingParams;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.train.grpo.Rollout;
import io.jswift.train.grpo.Rollouts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The generation phase of one LoRA GRPO step ({@link Rollouts#sample}): {@code PROMPTS} random prompts of
 * {@code PROMPT} tokens, each sampled {@code GENERATIONS} times in one batch for {@code COMPLETION} tokens with the
 * GRPO bench's sampling (temperature 0.9, top-k 50, top-p 0.9) and no eos (every row runs to the budget, as in
 * {@code bench/grpo_bench.sh} on the random model). Prints each repetition's seconds and completion tokens/s, and a
 * checksum of the sampled ids (equal on every run of the same arguments: the rollouts are seeded).
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.GrpoGenerateQuick MODEL_DIR [PROMPTS=8] [GENERATIONS=8] [PROMPT=80] [COMPLETION=128] [REPEATS=2]</pre>
 */
public final class GrpoGenerateQuick {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int prompts = arg(args, 1, 8), generations = arg(args, 2, 8), prompt = arg(args, 3, 80), completion = arg(args, 4, 128), repeats = arg(args, 5, 2);
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        LoraInjector.inject(model, new LoraConfig(8, 32, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), new Generator(0));
        model.train(true);
        SamplingParams params = new SamplingParams(completion, 0.9, 50, 0.9, 1.0, 0, List.of());
        System.out.printf(Locale.ROOT, "%s: %d prompts of %d tokens x %d completions of %d tokens, %d repeats%n",
                dir, prompts, prompt, generations, completion, repeats);
        Random r = new Random(0);
        List<int[]> batch = new ArrayList<>();
        for (int p = 0; p < prompts; p++) {
            int[] ids = new int[prompt];
            for (int i = 0; i < prompt; i++) ids[i] = 1 + r.nextInt(Math.min(model.vocabSize(), 150_000) - 1);
            batch.add(ids);
        }
        for (int rep = 1; rep <= repeats; rep++) {
            long t0 = System.nanoTime();
            List<Rollout> out = Rollouts.sample(model, new int[0], batch, generations, params, 0);
            double s = (System.nanoTime() - t0) / 1e9;
            long sampled = 0, checksum = 0;
            for (Rollout ro : out) {
                sampled += ro.completionIds().length;
                for (int id : ro.completionIds()) checksum = checksum * 31 + id;
            }
            System.out.printf(Locale.ROOT, "repeat %d: %.2f s  %d completion tokens  %.1f tok/s  %.3f s per decode step  ids checksum %016x%n",
                    rep, s, sampled, sampled / s, s / completion, checksum);
        }
    }

    private static int arg(String[] args, int i, int fallback) { return args.length > i ? Integer.parseInt(args[i]) : fallback; }
}
