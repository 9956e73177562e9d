package io.jswift.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.data.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resumed runs continue the uninterrupted run's loss curve and end at the same weights; checkpoint rotation. */
class ResumeTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    private Path data() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        StringBuilder rows = new StringBuilder();
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 7; i++) {
            rows.append("{\"input_ids\": [");
            int n = 4 + r.nextInt(9);
            for (int j = 0; j < n; j++) rows.append(j == 0 ? "" : ", ").append(1 + r.nextInt(120));
            rows.append("]}\n");
        }
        Files.writeString(data, rows);
        return data;
    }

    private TrainArgs.Builder args(String model, Path data, String out) {
        // 7 rows, 2 per step: epochs wrap mid-run, so the resumed data order must re-derive the reshuffle
        return TrainArgs.builder(MODELS.resolve(model), List.of(DatasetSpec.parse(data.toString())), dir.resolve(out)).learningRate(3e-3)
                .lrSchedulerType("cosine").warmupSteps(2).maxSteps(8).perDeviceTrainBatchSize(2).saveSteps(4).loggingSteps(1).seed(11);
    }

    private static List<JsonNode> log(Path run) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) rows.add(new ObjectMapper().readTree(line));
        return rows;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-f32", "qwen3-bf16"})
    void resumedRunContinuesTheSameLossCurve(String model) throws Exception {
        Path data = data();
        Path full = new PretrainingRun(args(model, data, "full").build(), QUIET).run();
        Path first = new PretrainingRun(args(model, data, "first").maxSteps(8).build(), QUIET).run();
        Path ckpt = first.resolve("checkpoint-4");
        Path resumed = new PretrainingRun(args(model, data, "resumed").resumeFromCheckpoint(ckpt).build(), QUIET).run();

        // Not bit-exact: the Vector API's float reduceLanes has an unspecified order, so code run before and after
        // C2 compiles it rounds differently (~1e-7 relative; the same run twice in one JVM differs as much).
        List<JsonNode> a = log(full), b = log(resumed);
        assertEquals(8, a.size());
        assertEquals(4, b.size(), "the resumed run logs steps 5..8 only");
        for (int i = 0; i < 4; i++) {
            JsonNode x = a.get(4 + i), y = b.get(i);
            assertEquals(x.get("step").asInt(), y.get("step").asInt());
            assertEquals(x.get("loss").asDouble(), y.get("loss").asDouble(), 1e-5 * x.get("loss").asDouble(), "loss at step " + x.get("step"));
            assertEquals(x.get("lr").asDouble(), y.get("lr").asDouble(), 1e-15);
            assertEquals(x.get("grad_norm").asDouble(), y.get("grad_norm").asDouble(), 1e-5 * x.get("grad_norm").asDouble());
            assertEquals(x.get("num_tokens").asLong(), y.get("num_tokens").asLong(), "num_tokens goes on from the checkpoint's count");
        }
        String weights = model.endsWith("bf16") ? FullWeights.MASTER_FILE : "model.safetensors"; // bf16 would hide or magnify differences
        SafetensorsFile w1 = SafetensorsFile.open(full.resolve("checkpoint-8/" + weights));
        SafetensorsFile w2 = SafetensorsFile.open(resumed.resolve("checkpoint-8/" + weights));
        for (String name : w1.names()) {
            double[] x = w1.tensor(name).toDoubleArray(), y = w2.tensor(name).toDoubleArray();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-6 + 1e-4 * Math.abs(x[i]), name + "[" + i + "]");
        }
        JsonNode state = new ObjectMapper().readTree(resumed.resolve("checkpoint-8/trainer_state.json").toFile());
        assertEquals(8, state.get("global_step").asInt());
        assertEquals(16, state.get("examples_consumed").asInt());
        assertEquals(8, state.get("log_history").size(), "history carries the first run's rows");
        assertEquals(model.endsWith("bf16"), Files.exists(first.resolve("checkpoint-4/" + FullWeights.MASTER_FILE)),
                "f32 masters are kept beside bf16 weights");
    }

    @Test
    void resumeRefusesAnotherSeedAndMissingFiles() throws Exception {
        Path data = data();
        Path first = new PretrainingRun(args("qwen3-f32", data, "first").maxSteps(4).build(), QUIET).run();
        TrainingException e = assertThrows(TrainingException.class,
                () -> new PretrainingRun(args("qwen3-f32", data, "x").seed(12).resumeFromCheckpoint(first.resolve("checkpoint-4")).build(), QUIET).run());
        assertTrue(e.getMessage().contains("--seed 11"), e.getMessage());
        e = assertThrows(TrainingException.class,
                () -> new PretrainingRun(args("qwen3-f32", data, "x").resumeFromCheckpoint(first).build(), QUIET).run());
        assertTrue(e.getMessage().contains("trainer_state.json"), e.getMessage());
    }

    @Test
    void saveTotalLimitKeepsTheNewestCheckpoints() throws Exception {
        Path run = new PretrainingRun(args("qwen3-f32", data(), "rot").saveSteps(2).saveTotalLimit(2).build(), QUIET).run();
        try (var s = Files.list(run)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("checkpoint-")).sorted().toList();
            assertEquals(List.of("checkpoint-6", "checkpoint-8"), names);
        }
        assertFalse(Files.exists(run.resolve("checkpoint-8.tmp")));
        assertTrue(Files.exists(run.resolve("checkpoint-8/args.json")));
    }
}
