package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Generator;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GRPO evaluation as TRL 1.13's eval mode: an eval batch's completions are sampled afresh and scored, their advantages
 * taken within the batch, and the loss is TRL's loss of those completions with the policy as its own old policy and
 * no accumulation division; the metrics are TRL's generation metrics (reward, per-function rewards, lengths) and the
 * loss's (kl, clip ratios). Evaluating changes nothing of training: no generation counted, no completion logged.
 */
class GrpoEvaluationTest {
    static final Path BASE = GrpoIterationsTest.BASE, ADAPTER = GrpoIterationsTest.ADAPTER;

    /** Records every batch it scores, then scores it as LowIds. */
    static final class Recording implements RewardFunction {
        final List<List<Sample>> calls = new ArrayList<>();

        @Override public String name() { return "low_ids"; }

        @Override public double[] score(List<Sample> completions) {
            calls.add(List.copyOf(completions));
            return new GrpoLearningTest.LowIds().score(completions);
        }
    }

    @Test
    void anEvalBatchIsSampledScoredAndLossedAsTrlEvaluates() throws Exception {
        CausalLm policy = ((LoadedModel.CausalLm) ModelLoader.load(BASE, false)).model();
        PeftAdapter.load(ADAPTER, policy, new Generator(1));
        policy.train(false); // the loop evaluates in evaluation mode
        Recording reward = new Recording();
        List<GrpoObjective.Scored> logged = new ArrayList<>();
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.BNPO, 0.04, 0.2, 0.28, false, 6);
        GrpoObjective.Settings settings = new GrpoObjective.Settings(new int[]{2}, ids -> "", new RewardFunctions(List.of(reward), new double[]{1}), loss,
                Advantages.Scale.GROUP, 4, new SamplingParams(6, 1.0, 0, 1.0, 1.0, 0, List.of()), 5, false, logged::add, 2, null);
        GrpoObjective objective = new GrpoObjective(policy, settings);
        List<GrpoPrompt> rows = new ArrayList<>();
        for (int p = 0; p < 2; p++) rows.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "e" + p)), new int[]{7 + p, 30 + p, 60 + p}, Map.of()));

        Objective.Evaluation e;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            e = objective.evaluate(rows);
        }
        assertEquals(1, reward.calls.size(), "one eval batch scored once");
        List<RewardFunction.Sample> samples = reward.calls.getFirst();
        assertEquals(8, samples.size());
        assertTrue(logged.isEmpty(), "eval completions are not written to completions.jsonl");
        assertEquals(0L, objective.state().get(GrpoObjective.GENERATIONS), "evaluation is no training generation");
        assertEquals(1L, objective.state().get(GrpoObjective.EVAL_BATCHES));

        double[] total = new GrpoLearningTest.LowIds().score(samples);
        double[] adv = Advantages.of(total, 4, Advantages.Scale.GROUP);
        List<Rollout> rollouts = new ArrayList<>();
        double length = 0;
        for (int i = 0; i < 8; i++) {
            int[] ids = samples.get(i).completionIds();
            rollouts.add(new Rollout(i / 4, rows.get(i / 4).promptIds(), ids, ids[ids.length - 1] == 2));
            length += ids.length;
        }
        Objective.Step want;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            want = new GrpoObjective(policy, settings).step(rollouts, adv, null, 1);
        }
        assertEquals(8, e.weight(), "eval_loss weighs a batch by its completions");
        assertEquals(want.loss().value().item(), e.lossTotal() / e.weight(), 1e-9, "TRL's loss with the ratio at 1, not divided by accumulation");
        assertTrue(Math.abs(e.lossTotal()) > 1e-6, "beta > 0: the loss holds the KL to the base model");
        double mean = 0;
        for (double t : total) mean += t / 8;
        assertEquals(mean, e.metrics().get("reward"), 1e-12);
        assertEquals(mean, e.metrics().get("rewards/low_ids/mean"), 1e-12);
        assertEquals(Advantages.std(total, 0, 8), e.metrics().get("reward_std"), 1e-12, "TRL 1.13: the std of the whole batch's rewards");
        assertEquals(length / 8, e.metrics().get("completions/mean_length"), 1e-12);
        // float32 log-probs: the same forward may differ in the last bits between JIT tiers of the Vector API kernels
        assertEquals(want.metrics().get("kl"), e.metrics().get("kl"), 1e-6);
        for (String key : List.of("reward_std", "rewards/low_ids/std", "frac_reward_zero_std", "completions/clipped_ratio", "clip_ratio/region_mean")) {
            assertTrue(e.metrics().containsKey(key), key + " in " + e.metrics().keySet());
        }
        assertTrue(e.metrics().keySet().stream().noneMatch(k -> k.startsWith("profiling/")), e.metrics().keySet().toString());

        try (GradMode.Scope ignored = GradMode.noGrad()) {
            objective.evaluate(rows);
        }
        assertTrue(!Arrays.deepEquals(reward.calls.get(1).stream().map(RewardFunction.Sample::completionIds).toArray(),
                samples.stream().map(RewardFunction.Sample::completionIds).toArray()), "each eval batch samples with its own seed");
    }
}
