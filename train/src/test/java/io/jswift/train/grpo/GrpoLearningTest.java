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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GRPO learns: a tiny random Qwen2 (vocabulary 128), rewarded by the fraction of its completion ids below 32 (a
 * quarter of the vocabulary, so about 0.25 at the start), raises its mean reward clearly within 30 seeded steps;
 * the same run with a learning rate of 1e-12 does not (so the rise is the updates', not the sampling's).
 */
class GrpoLearningTest {
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();
    @TempDir Path dir;

    /** Fraction of the completion's ids below 32. */
    record LowIds() implements RewardFunction {
        @Override public String name() { return "low_ids"; }

        @Override public double[] score(List<Sample> completions) {
            return completions.stream().mapToDouble(c -> Arrays.stream(c.completionIds()).filter(i -> i < 32).count() / (double) c.completionIds().length).toArray();
        }
    }

    double[] rewardCurve(double lr, String lossType, double beta) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(BASE, true)).model();
        Path data = dir.resolve("unused.jsonl");
        Files.writeString(data, "{}\n");
        TrainArgs args = TrainArgs.builder(BASE, List.of(DatasetSpec.parse(data.toString())), dir.resolve("out-" + lr + lossType)).learningRate(lr)
                .lrSchedulerType("constant").weightDecay(0).maxSteps(30).seed(3).saveSteps(0).loggingSteps(1)
                .perDeviceTrainBatchSize(16).gradientAccumulationSteps(2).build(); // completions: two prompts x 8 per micro-batch
        List<GrpoPrompt> prompts = new ArrayList<>();
        for (int p = 0; p < 4; p++) prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "p" + p)), new int[]{5 + p, 40 + p, 90 + p}, Map.of()));
        GrpoObjective objective = new GrpoObjective(model, new GrpoObjective.Settings(new int[]{127}, ids -> "", new RewardFunctions(List.of(new LowIds()), new double[]{1}),
                new GrpoLoss(GrpoLoss.Type.parse(lossType), beta, 0.2, 0.2, false, 6), Advantages.Scale.GROUP, 8, new SamplingParams(6, 1.0, 0, 1.0, 1.0, 0, List.of()),
                11, false, null));
        RunSetup setup = new RunSetup("rlhf", args, model, new FullWeights(model, DType.F32, BASE), null, Map.of(), new PrintStream(OutputStream.nullOutputStream()));
        Path run = new TrainingLoop<>(setup, objective).run(ExampleSource.of(prompts), null, null);
        List<String> lines = Files.readAllLines(run.resolve("logging.jsonl"));
        assertEquals(30, lines.size());
        ObjectMapper json = new ObjectMapper();
        double[] curve = new double[lines.size()];
        for (int i = 0; i < curve.length; i++) {
            JsonNode row = json.readTree(lines.get(i));
            curve[i] = row.get("reward").asDouble();
            assertEquals(curve[i], row.get("rewards/low_ids/mean").asDouble(), 1e-12);
            assertTrue(row.has("completions/mean_length") && row.has("clip_ratio/region_mean"), row.toString());
        }
        return curve;
    }

    static double mean(double[] v, int from, int to) {
        return Arrays.stream(v, from, to).average().orElseThrow();
    }

    @Test
    void meanRewardRisesUnderARuleReward() throws Exception {
        double[] learning = rewardCurve(3e-3, "grpo", 0), frozen = rewardCurve(1e-12, "grpo", 0); // TrainArgs refuses 0
        double start = mean(learning, 0, 5), end = mean(learning, 25, 30);
        System.out.println("grpo reward curve " + Arrays.toString(learning));
        assertTrue(start < 0.45, "starts near a quarter: " + Arrays.toString(learning));
        assertTrue(end > start + 0.3, "rises clearly: " + Arrays.toString(learning));
        assertTrue(Math.abs(mean(frozen, 25, 30) - mean(frozen, 0, 5)) < 0.15, "no rise without updates: " + Arrays.toString(frozen));
    }
}
