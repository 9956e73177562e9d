package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training process killed (SIGKILL) mid-run is resumed from its newest complete checkpoint and continues the
 * loss curve of a run that was never interrupted. The kill may land in the middle of a save: the half-written
 * {@code checkpoint-N.tmp} must not be mistaken for a checkpoint and must not damage the previous one.
 */
class KillResumeTest {
    private static final Path MODEL = Path.of("../models/src/test/resources/models/qwen3-f32").toAbsolutePath().normalize();
    private static final int STEPS = 60;

    @TempDir
    Path dir;

    private String[] args(Path data, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("pt", "--model", MODEL.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--learning_rate", "2e-3", "--warmup_steps", "3", "--max_steps", Integer.toString(STEPS), "--per_device_train_batch_size", "2",
                "--save_steps", "2", "--save_total_limit", "2", "--logging_steps", "1", "--seed", "5"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void killedRunResumesOnTheSameLossCurve() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 9; i++) rows.append("{\"input_ids\": [").append(3 + i).append(", 17, ").append(40 + 3 * i).append(", 99, 5, ").append(60 - i).append("]}\n");
        Files.writeString(data, rows);

        Path killedOut = dir.resolve("killed");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args(data, killedOut)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        Path run = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            run = onlyRun(killedOut);
            if (run != null && Files.isDirectory(run.resolve("checkpoint-6"))) break;
            Thread.sleep(5);
        }
        assertTrue(p.isAlive(), "the run ended before it could be killed; log:\n" + Files.readString(dir.resolve("killed.log")));
        p.destroyForcibly().waitFor();

        Path newest = newestCheckpoint(run);
        int resumedAt = Integer.parseInt(newest.getFileName().toString().substring("checkpoint-".length()));
        assertTrue(resumedAt >= 6 && resumedAt < STEPS, newest.toString());
        assertEquals(0, Main.run(args(data, dir.resolve("resumed"), "--resume_from_checkpoint", newest.toString())));
        assertEquals(0, Main.run(args(data, dir.resolve("straight"))));

        List<JsonNode> resumed = log(onlyRun(dir.resolve("resumed"))), straight = log(onlyRun(dir.resolve("straight")));
        assertEquals(STEPS, straight.size());
        assertEquals(STEPS - resumedAt, resumed.size());
        for (JsonNode r : resumed) {
            JsonNode s = straight.get(r.get("step").asInt() - 1);
            // float rounding only (JIT tiers round Vector API reductions differently; see ResumeTest)
            assertEquals(s.get("loss").asDouble(), r.get("loss").asDouble(), 1e-4 * s.get("loss").asDouble(), "step " + r.get("step"));
            assertEquals(s.get("lr").asDouble(), r.get("lr").asDouble(), 1e-15, "step " + r.get("step"));
        }
    }

    private static Path onlyRun(Path out) throws Exception {
        if (!Files.isDirectory(out)) return null;
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(Files::isDirectory).findFirst().orElse(null);
        }
    }

    private static Path newestCheckpoint(Path run) throws Exception {
        try (Stream<Path> s = Files.list(run)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+"))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring("checkpoint-".length())))).orElseThrow();
        }
    }

    private static List<JsonNode> log(Path run) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) rows.add(new ObjectMapper().readTree(line));
        return rows;
    }
}
