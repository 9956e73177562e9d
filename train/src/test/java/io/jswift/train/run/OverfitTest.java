package io.jswift.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.train.data.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny Llama (transformers-written checkpoint) memorizes a fixed sequence: the loss goes to ~0. */
class OverfitTest {
    @TempDir
    Path dir;

    @Test
    void tinyLlamaOverfitsAFixedSequence() throws Exception {
        Path model = Path.of("../models/src/test/resources/models/llama-f32").toAbsolutePath().normalize();
        Path data = dir.resolve("seq.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 17, 42, 99, 5, 63, 120, 7, 64, 2, 88, 31, 9, 14, 101, 56]}\n");
        TrainArgs args = TrainArgs.builder(model, List.of(DatasetSpec.parse(data.toString())), dir.resolve("out")).learningRate(1e-2)
                .lrSchedulerType("constant").weightDecay(0).maxSteps(60).maxLength(64).seed(7).saveSteps(0).loggingSteps(1).build();
        Path run = new PretrainingRun(args, new PrintStream(java.io.OutputStream.nullOutputStream())).run();
        List<String> lines = Files.readAllLines(run.resolve("logging.jsonl"));
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0)), last = json.readTree(lines.get(lines.size() - 1));
        assertTrue(first.get("loss").asDouble() > 1.0, "starts high: " + first);
        assertTrue(last.get("loss").asDouble() < 0.05, "memorized: " + last);
        assertTrue(Files.exists(run.resolve("checkpoint-60/model.safetensors")));
    }
}
