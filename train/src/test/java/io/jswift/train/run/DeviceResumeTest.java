package io.jswift.train.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.testing.DeviceTesting;
import io.jswift.train.data.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training on opencl:0 resumes exactly: a checkpoint (written from host copies) restores the weights and the
 * optimizer state onto the device, and a run continued there (or on the cpu) ends where the uninterrupted run does.
 */
class DeviceResumeTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    private Path data() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7]}\n{\"input_ids\": [3, 8, 2, 60, 61]}\n{\"input_ids\": [9, 9, 40, 2]}\n");
        return data;
    }

    private TrainArgs.Builder args(String model, String out, String device) throws Exception {
        return TrainArgs.builder(MODELS.resolve(model), List.of(DatasetSpec.parse(data().toString())), dir.resolve(out)).learningRate(3e-3)
                .lrSchedulerType("constant").maxSteps(4).saveSteps(2).loggingSteps(1).seed(5).device(device);
    }

    private static void assertSameEnd(Path full, Path resumed, String file, double tol) throws Exception {
        List<String> a = Files.readAllLines(full.resolve("logging.jsonl")), b = Files.readAllLines(resumed.resolve("logging.jsonl"));
        JsonNode last = new ObjectMapper().readTree(a.get(a.size() - 1)), lastResumed = new ObjectMapper().readTree(b.get(b.size() - 1));
        assertEquals(4, lastResumed.get("step").asInt());
        assertEquals(last.get("loss").asDouble(), lastResumed.get("loss").asDouble(), 1e-5 * last.get("loss").asDouble());
        SafetensorsFile w1 = SafetensorsFile.open(full.resolve("checkpoint-4/" + file)), w2 = SafetensorsFile.open(resumed.resolve("checkpoint-4/" + file));
        assertEquals(w1.names(), w2.names());
        for (String name : w1.names()) {
            double[] x = w1.tensor(name).toDoubleArray(), y = w2.tensor(name).toDoubleArray();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], tol + 1e-4 * Math.abs(x[i]), name + "[" + i + "]");
        }
    }

    /** Full training with AdamW: weights and both moment buffers come back onto the device (or the cpu). */
    @ParameterizedTest
    @ValueSource(strings = {"opencl", "cpu"})
    void fullTrainingResumesFromADeviceCheckpoint(String resumeOn) throws Exception {
        DeviceTesting.openCl();
        Path full = new PretrainingRun(args("qwen3-f32", "full", "opencl").build(), QUIET).run();
        Path resumed = new PretrainingRun(args("qwen3-f32", "resumed", resumeOn).resumeFromCheckpoint(full.resolve("checkpoint-2")).build(), QUIET).run();
        assertSameEnd(full, resumed, "model.safetensors", 1e-6);
    }

    /** A LoRA adapter with dropout: adapter weights and the dropout generator's offset resume on the device. */
    @Test
    void loraTrainingResumesOnTheDevice() throws Exception {
        DeviceTesting.openCl();
        TunerArgs tuner = new TunerArgs("lora", 4, 8, 0.1, false, List.of("all-linear"));
        SftRun.ChatArgs chat = new SftRun.ChatArgs("default", null, null, null);
        Path full = new SftRun(args("llama-f32", "full", "opencl").build(), tuner, chat, QUIET).run();
        Path resumed = new SftRun(args("llama-f32", "resumed", "opencl").resumeFromCheckpoint(full.resolve("checkpoint-2")).build(), tuner, chat, QUIET).run();
        assertSameEnd(full, resumed, "adapter_model.safetensors", 1e-6);
    }
}
