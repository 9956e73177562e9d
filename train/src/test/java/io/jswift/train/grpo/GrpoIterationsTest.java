package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;
import io.jswift.train.optim.ParamGroup;
import io.jswift.train.optim.Sgd;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.run.ExampleSource;
import io.jswift.train.run.FullWeights;
import io.jswift.train.run.Objective;
import io.jswift.train.run.RunSetup;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TrainingLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --num_iterations μ > 1 with TRL 1.13's semantics: one generation batch trains μ optimizer steps; its old
 * log-probs are the policy's right after sampling (before any update), so the first iteration's ratios are 1 and a
 * later iteration's loss and gradient are TRL's loss (GrpoLoss, checked against TRL's _compute_loss with old
 * log-probs in GrpoModelGoldenTest) of the updated policy against those generation-time log-probs; the loop reuses
 * the drawn prompts for μ steps (an epoch has μ times the steps) and a run resumed inside a cycle draws the same
 * prompts again.
 */
class GrpoIterationsTest {
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();
    static final Path ADAPTER = Path.of("src/test/resources/grpo/model/grpo_token_beta/adapter").toAbsolutePath();
    @TempDir Path dir;

    private static List<GrpoPrompt> prompts(int n) {
        List<GrpoPrompt> out = new ArrayList<>();
        for (int p = 0; p < n; p++) out.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "p" + p)), new int[]{5 + p, 40 + p, 90 + p}, Map.of()));
        return out;
    }

    private static GrpoObjective.Settings settings(GrpoLoss loss, List<GrpoObjective.Scored> log, int iterations) {
        return new GrpoObjective.Settings(new int[]{2}, ids -> "", new RewardFunctions(List.of(new GrpoLearningTest.LowIds()), new double[]{1}), loss,
                Advantages.Scale.GROUP, 4, new SamplingParams(6, 1.0, 0, 1.0, 1.0, 0, List.of()), 5, false, log == null ? null : log::add, iterations, null);
    }

    private static double[] logps(CausalLm policy, List<Rollout> rollouts) {
        List<Encoded> seqs = rollouts.stream().map(GrpoObjective::sequence).toList();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return CompletionLogProbs.perToken(policy, Collator.collate(seqs), false, 1.0).value().toDoubleArray();
        }
    }

    private static Map<String, float[]> grads(CausalLm policy) {
        Map<String, float[]> out = new LinkedHashMap<>();
        policy.namedParameters().forEach((n, p) -> { if (p.requiresGrad()) out.put(n, p.grad().toFloatArray()); });
        return out;
    }

    @Test
    void laterIterationsTakeRatiosAgainstTheGenerationTimeLogProbs() throws Exception {
        CausalLm policy = ((LoadedModel.CausalLm) ModelLoader.load(BASE, false)).model();
        PeftAdapter.load(ADAPTER, policy, new Generator(1));
        policy.train(true);
        GrpoLoss loss = new GrpoLoss(GrpoLoss.Type.GRPO, 0.04, 0.2, 0.28, false, 6);
        List<GrpoObjective.Scored> logged = new ArrayList<>();
        GrpoObjective objective = new GrpoObjective(policy, settings(loss, logged, 2));
        assertEquals(2, objective.iterationsPerBatch());
        List<GrpoPrompt> ps = prompts(2);
        List<List<GrpoPrompt>> micro = List.of(List.of(ps.get(0)), List.of(ps.get(1)));

        double n0 = objective.normalizer(micro, 0);
        assertEquals(8, logged.size());
        // TRL's shuffle_sequence_dict + split_tensor_dict: micro-batch 0 holds the first half of a seeded permutation
        int[] order = GrpoObjective.shuffle(8, 5);
        List<Rollout> first = new ArrayList<>();
        double[] adv = new double[4];
        for (int k = 0; k < 4; k++) {
            first.add(logged.get(order[k]).rollout());
            adv[k] = logged.get(order[k]).advantage();
        }
        assertTrue(first.stream().anyMatch(r -> r.prompt() == 0) && first.stream().anyMatch(r -> r.prompt() == 1),
                "the shuffle mixes the prompts' completions across micro-batches (else this seed could not tell it from no shuffle)");
        double[] old = logps(policy, first);
        GrpoObjective plain = new GrpoObjective(policy, settings(loss, null, 1));
        double wantFirst = plain.step(first, adv, null, n0).loss().value().item();
        double unshuffled = plain.step(logged.subList(0, 4).stream().map(GrpoObjective.Scored::rollout).toList(),
                logged.subList(0, 4).stream().mapToDouble(GrpoObjective.Scored::advantage).toArray(), null, n0).loss().value().item();
        assertTrue(Math.abs(unshuffled - wantFirst) > 1e-4, "the first slice in sampling order trains another loss: " + unshuffled + " vs " + wantFirst);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        policy.namedParameters().forEach((n, p) -> { if (p.requiresGrad()) trainable.put(n, p); });
        Sgd sgd = new Sgd(ParamGroup.decayMatricesOnly(trainable, 0), 2.0, 0);
        for (List<GrpoPrompt> rows : micro) {
            Objective.Step s = objective.forward(rows, n0);
            if (rows == micro.getFirst()) assertEquals(wantFirst, s.loss().value().item(), 2e-6, "micro-batch 0 trains the permutation's first slice");
            assertEquals(0.0, s.metrics().get("clip_ratio/region_mean"), "iteration 0: the policy is the old policy, every ratio 1");
            assertEquals(rows == micro.getFirst(), s.metrics().containsKey("reward"), "generation metrics come once, with the first micro-batch");
            s.loss().backward();
        }
        sgd.step();
        sgd.zeroGrad();

        double n1 = objective.normalizer(micro, 1);
        assertEquals(n0, n1);
        assertEquals(8, logged.size(), "iteration 1 reuses the generation batch: nothing sampled");
        Objective.Step reused = objective.forward(micro.get(0), n1);
        assertTrue(!reused.metrics().containsKey("reward") && !reused.metrics().containsKey("completions/mean_length"),
                "a reused step logs no generation metrics (TRL appends them when it generates): " + reused.metrics().keySet());
        reused.loss().backward();
        Map<String, float[]> got = grads(policy);
        sgd.zeroGrad();

        Objective.Step want = plain.step(first, adv, old, n1);
        want.loss().backward();
        Map<String, float[]> wantGrads = grads(policy);
        sgd.zeroGrad();
        assertEquals(want.loss().value().item(), reused.loss().value().item(), 2e-6, "loss against the generation-time log-probs");
        for (String k : wantGrads.keySet()) assertArrayEquals(wantGrads.get(k), got.get(k), 1e-6f, k);
        double onPolicy = plain.step(first, adv, null, n1).loss().value().item();
        assertTrue(Math.abs(onPolicy - reused.loss().value().item()) > 1e-5,
                "the update moved the ratios away from 1 (else this test could not tell old log-probs from the current ones): " + onPolicy);
        assertTrue(reused.metrics().get("clip_ratio/region_mean") > 0 || Math.abs(onPolicy - reused.loss().value().item()) > 1e-5);
    }

    private Path run(List<GrpoObjective.Scored> log, Path resume, String name) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(BASE, true)).model();
        Path data = dir.resolve("unused.jsonl");
        Files.writeString(data, "{}\n");
        TrainArgs args = TrainArgs.builder(BASE, List.of(DatasetSpec.parse(data.toString())), dir.resolve(name)).learningRate(1e-3)
                .lrSchedulerType("constant").weightDecay(0).numTrainEpochs(1).seed(3).saveSteps(1).loggingSteps(1)
                .perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).resumeFromCheckpoint(resume).build(); // completions: one prompt x 4 per micro-batch
        GrpoObjective objective = new GrpoObjective(model, settings(new GrpoLoss(GrpoLoss.Type.GRPO, 0, 0.2, 0.2, false, 6), log, 2));
        RunSetup setup = new RunSetup("rlhf", args, model, new FullWeights(model, DType.F32, BASE), null, Map.of(), new PrintStream(OutputStream.nullOutputStream()));
        return new TrainingLoop<>(setup, objective).run(ExampleSource.of(prompts(4)), null, null);
    }

    @Test
    void theLoopReusesEachGenerationBatchForNumIterationsSteps() throws Exception {
        List<GrpoObjective.Scored> log = new ArrayList<>();
        Path run = run(log, null, "full");
        List<String> lines = Files.readAllLines(run.resolve("logging.jsonl"));
        ObjectMapper json = new ObjectMapper();
        // 4 prompts, 2 a step: 2 generation batches, each trained twice → 4 steps in the epoch (TRL's RepeatSampler)
        assertEquals(4, lines.size(), "one epoch has num_iterations × 2 steps");
        assertEquals(2 * 2 * 4, log.size(), "two generation batches of 2 prompts × 4 completions");
        JsonNode s1 = json.readTree(lines.get(0)), s2 = json.readTree(lines.get(1)), s3 = json.readTree(lines.get(2));
        // TRL logs a generation batch's metrics with the step that sampled it: step 2 reuses step 1's batch and logs only the loss's
        double firstReward = log.subList(0, 8).stream().mapToDouble(c -> c.rewards().get("low_ids")).average().orElseThrow();
        assertEquals(firstReward, s1.get("reward").asDouble(), 1e-12, "step 1's reward: the mean over its generation batch");
        for (String key : List.of("reward", "reward_std", "rewards/low_ids/mean", "completions/mean_length", GrpoObjective.GENERATION_SECONDS)) {
            assertTrue(s1.has(key), key + " in " + s1);
            assertTrue(!s2.has(key), key + " not logged again on the reused step 2: " + s2);
            assertTrue(s3.has(key), key + " in " + s3);
        }
        assertTrue(s2.has("loss") && s2.has("clip_ratio/region_mean"), s2.toString());
        assertEquals(1.0, json.readTree(lines.get(3)).get("epoch").asDouble(), 1e-12, "each prompt drawn once in the epoch");
        assertTrue(s3.get("epoch").asDouble() > s2.get("epoch").asDouble());

        // resumed at step 1 (inside the first cycle): that cycle's prompts are drawn again and sampled afresh
        List<GrpoObjective.Scored> resumed = new ArrayList<>();
        run(resumed, run.resolve("checkpoint-1"), "resumed");
        assertEquals(2 * 2 * 4, resumed.size(), "the cycle of step 2 is generated again, then the second cycle");
        for (int i = 0; i < 16; i++) {
            assertEquals(log.get(i).prompt().messages(), resumed.get(i).prompt().messages(), "completion " + i + "'s prompt");
            assertEquals(log.get(i).generation(), resumed.get(i).generation(), "completion " + i + ": the cycle keeps its generation index (its seeds)");
        }
    }
}
