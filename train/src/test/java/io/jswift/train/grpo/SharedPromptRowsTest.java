package io.jswift.train.grpo;

import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.train.pref.ScoredTokens;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jswift.train.grpo.GrpoGoldenCase.BASE;
import static io.jswift.train.testing.GradAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GRPO's shared-prompt rows ({@link SharedPromptRows}: each prompt once, its completions behind it) against TRL's
 * layout (one prompt + completion row per completion) through the whole objective: generation-time log-probs of the
 * policy and the reference (num_iterations 2, beta > 0), then each micro-batch's loss, metrics and LoRA gradients.
 */
class SharedPromptRowsTest {
    private static final int[][] PROMPTS = {{5, 17, 42, 99, 12}, {8, 31, 77}};
    private static final int[][] COMPLETIONS = {{63, 120, 7, 2}, {64, 88}, {101, 19, 56, 23, 2}, {90},
            {12, 13, 2}, {77, 78, 79, 80, 81, 82}, {3, 2}, {44, 45, 46}};

    @ParameterizedTest
    @CsvSource({"0.04, 2, 4", "0.0, 1, 2", "0.04, 1, 1"})
    void sharedPromptRowsGiveTheUnsharedLossesAndGradients(double beta, int iterations, int microBatches) throws Exception {
        Run shared = run(true, beta, iterations, microBatches), unshared = run(false, beta, iterations, microBatches);
        for (int m = 0; m < microBatches; m++) {
            assertEquals(unshared.losses.get(m), shared.losses.get(m), 1e-5 * Math.max(1, Math.abs(unshared.losses.get(m))), "loss " + m);
            for (var e : unshared.metrics.get(m).entrySet()) {
                if (e.getKey().startsWith("profiling/")) continue;
                assertEquals(e.getValue(), shared.metrics.get(m).get(e.getKey()), 1e-5 * Math.max(1, Math.abs(e.getValue())), e.getKey());
            }
        }
        for (String name : unshared.grads.keySet()) assertClose(unshared.grads.get(name), shared.grads.get(name), name);
    }

    @Test
    void eachPromptIsOneRowAndTokensAreScoredInRolloutOrder() {
        List<Rollout> rollouts = rollouts();
        List<Rollout> mixed = List.of(rollouts.get(5), rollouts.get(0), rollouts.get(6), rollouts.get(2));
        ScoredTokens packed = SharedPromptRows.collate(mixed), plain = GrpoObjective.unshared(mixed);
        assertEquals(2, packed.rows(), "one row per distinct prompt");
        assertEquals(5 + 4 + 5, packed.width(), "the widest row: a prompt and its completions (3 + 6 + 2 for the other)");
        assertArrayEquals(plain.targets(), packed.targets(), "same tokens, same order");
        assertArrayEquals(plain.sequenceOf(), packed.sequenceOf());
        assertEquals(plain.tokens(), packed.tokens(), "num_tokens counts the unshared sequences");
        assertTrue(packed.rows() * packed.width() < plain.rows() * plain.width());
    }

    private record Run(List<Double> losses, List<Map<String, Double>> metrics, Map<String, float[]> grads) {}

    private static Run run(boolean share, double beta, int iterations, int microBatches) throws Exception {
        CausalLm policy = ((LoadedModel.CausalLm) ModelLoader.load(BASE, false)).model();
        PeftAdapter.load(GrpoSplitGoldenTest.DIR.resolve("grpo_beta/adapter"), policy, new Generator(1));
        policy.train(true);
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.GRPO, beta, 0.2, 0.28, false, 8);
        SamplingParams sampling = new SamplingParams(8, 0.9, 0, 1, 1, 0, List.of());
        GrpoObjective objective = new GrpoObjective(policy, new GrpoObjective.Settings(new int[]{2}, ids -> "", null, loss, Advantages.Scale.GROUP, 4,
                sampling, 0, false, null, iterations, null));
        objective.packPrompts(share);
        assertEquals(share, objective.sharedPrompts());
        List<Rollout> rollouts = rollouts();
        double[] rewards = {1, 0, 0.5, 2, 1, 1, 0, 1};
        List<GrpoPrompt> prompts = new ArrayList<>();
        for (int[] p : PROMPTS) prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "x")), p, Map.of()));
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < rollouts.size(); i++) texts.add("");
        objective.prepare(new GenerationBatch(prompts, rollouts, texts, new double[0][], rewards), 0, microBatches,
                new int[]{6, 1, 3, 0, 5, 2, 7, 4}, Map.of());
        List<Double> losses = new ArrayList<>();
        List<Map<String, Double>> metrics = new ArrayList<>();
        for (int m = 0; m < microBatches; m++) {
            Objective.Step step = objective.forward(List.of(), microBatches);
            step.loss().backward();
            losses.add(step.loss().value().item());
            metrics.add(step.metrics());
        }
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (var e : policy.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            if (p.requiresGrad()) grads.put(e.getKey(), p.grad().toFloatArray());
        }
        return new Run(losses, metrics, grads);
    }

    private static List<Rollout> rollouts() {
        List<Rollout> out = new ArrayList<>();
        for (int i = 0; i < COMPLETIONS.length; i++) {
            out.add(new Rollout(i / 4, PROMPTS[i / 4], COMPLETIONS[i], COMPLETIONS[i][COMPLETIONS[i].length - 1] == 2));
        }
        return out;
    }
}
