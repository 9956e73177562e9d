package io.jswift.train.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.DType;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.run.ExampleSource;
import io.jswift.train.run.FullWeights;
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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GRPO run with DAPO's dynamic sampling resumed from a mid-way checkpoint goes on exactly as the uninterrupted run:
 * the checkpoint keeps the generation count (the seeds of sampling and of the micro-batch shuffle) and how far the
 * resample stream has drawn, so the resumed run samples the same completions, resamples the same prompts and logs
 * the same losses and rewards.
 */
class GrpoResumeTest {
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;

    /** 1 for an "easy" prompt's completions (a constant group, dropped by dynamic sampling), else the share of low ids. */
    static final class EasyOrLow implements RewardFunction {
        @Override public String name() { return "easy_or_low"; }

        @Override public double[] score(List<Sample> completions) {
            double[] low = new GrpoLearningTest.LowIds().score(completions);
            for (int i = 0; i < low.length; i++) if (Boolean.TRUE.equals(completions.get(i).columns().get("easy"))) low[i] = 1;
            return low;
        }
    }

    private Path run(String name, Path resume, List<GrpoObjective.Scored> log) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(BASE, true)).model();
        Path data = dir.resolve("unused.jsonl");
        Files.writeString(data, "{}\n");
        TrainArgs args = TrainArgs.builder(BASE, List.of(DatasetSpec.parse(data.toString())), dir.resolve(name)).learningRate(5e-3)
                .lrSchedulerType("constant").weightDecay(0).maxSteps(4).seed(7).saveSteps(2).loggingSteps(1)
                .perDeviceTrainBatchSize(4).gradientAccumulationSteps(2).resumeFromCheckpoint(resume).build(); // completions: one prompt x 4 per micro-batch
        List<GrpoPrompt> prompts = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
            prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "p" + p)), new int[]{5 + p, 40 + p, 90 + p}, Map.of("easy", p % 2 == 0)));
        }
        GrpoObjective objective = new GrpoObjective(model, new GrpoObjective.Settings(new int[]{127}, ids -> "", new RewardFunctions(List.of(new EasyOrLow()), new double[]{1}),
                new GrpoLoss(GrpoLoss.Type.BNPO, 0, 0.2, 0.28, false, 5), Advantages.Scale.GROUP, 4, new SamplingParams(5, 1.0, 0, 1.0, 1.0, 0, List.of()), 7, false,
                log::add, 1, new DynamicSampling(6, new ResamplePrompts(prompts, 7), w -> {})));
        RunSetup setup = new RunSetup("rlhf", args, model, new FullWeights(model, DType.F32, BASE), null, Map.of(), new PrintStream(OutputStream.nullOutputStream()));
        return new TrainingLoop<>(setup, objective).run(ExampleSource.of(prompts), null, null);
    }

    private static long drawn(Path checkpoint) throws Exception {
        return JSON.readTree(checkpoint.resolve("trainer_state.json").toFile()).get("objective_state").get(GrpoObjective.RESAMPLED).asLong();
    }

    @Test
    void aRunResumedMidWayEqualsTheUninterruptedRun() throws Exception {
        List<GrpoObjective.Scored> full = new ArrayList<>();
        Path whole = run("whole", null, full);
        long atTwo = drawn(whole.resolve("checkpoint-2")), atFour = drawn(whole.resolve("checkpoint-4"));
        assertTrue(atTwo > 0, "dynamic sampling resampled before the checkpoint");
        assertTrue(atFour > atTwo, "and after it (else a resume that restarts the resample stream could pass)");
        assertEquals(2, JSON.readTree(whole.resolve("checkpoint-2/trainer_state.json").toFile()).get("objective_state").get(GrpoObjective.GENERATIONS).asLong());

        List<GrpoObjective.Scored> resumed = new ArrayList<>();
        Path second = run("resumed", whole.resolve("checkpoint-2"), resumed);
        List<GrpoObjective.Scored> after = full.stream().filter(s -> s.generation() >= 2).toList();
        assertEquals(after.size(), resumed.size(), "the resumed run samples steps 3 and 4");
        for (int i = 0; i < after.size(); i++) {
            assertEquals(after.get(i).generation(), resumed.get(i).generation());
            assertEquals(after.get(i).prompt().messages(), resumed.get(i).prompt().messages(), "completion " + i + "'s prompt (resampled ones included)");
            assertArrayEquals(after.get(i).rollout().completionIds(), resumed.get(i).rollout().completionIds(), "completion " + i);
            assertEquals(after.get(i).advantage(), resumed.get(i).advantage(), 1e-12);
        }
        List<String> a = Files.readAllLines(whole.resolve("logging.jsonl")), b = Files.readAllLines(second.resolve("logging.jsonl"));
        assertEquals(2, b.size());
        for (int i = 0; i < 2; i++) {
            JsonNode want = JSON.readTree(a.get(2 + i)), got = JSON.readTree(b.get(i));
            for (String key : List.of("step", "loss", "grad_norm", "reward", "reward_std", "completions/mean_length", "clip_ratio/region_mean", "epoch")) {
                assertEquals(want.get(key).asDouble(), got.get(key).asDouble(), 1e-6 * (1 + Math.abs(want.get(key).asDouble())), "step " + (3 + i) + " " + key);
            }
        }
        assertEquals(atFour, drawn(second.resolve("checkpoint-4")));
    }
}
