package io.jswift.cli;

import static io.jswift.tensor.testing.TensorAssert.relL2;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jswift logits on the tiny checkpoints that transformers wrote (models/src/test/resources/models). */
class LogitsCommandTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void causalLmLogitsEqualTransformers() throws Exception {
        Path out = dir.resolve("logits.safetensors");
        SafetensorsFile expected = SafetensorsFile.open(MODELS.resolve("qwen2-f32/expected.safetensors"));
        long[] ids = expected.tensor("input_ids").toLongArray();
        String list = java.util.Arrays.stream(ids).mapToObj(Long::toString).reduce((a, b) -> a + "," + b).orElseThrow();
        assertEquals(0, Main.run("logits", "--model", MODELS.resolve("qwen2-f32").toString(), "--input_ids", list, "--output", out.toString()));
        Tensor logits = SafetensorsFile.open(out).tensor("logits");
        assertArrayEquals(new int[]{ids.length, 128}, logits.shape());
        assertTrue(relL2(logits, expected.tensor("logits")) < 1e-4);
    }

    @Test
    void imageClassifierLogitsEqualTransformers() throws Exception {
        Path pixels = dir.resolve("pixels.safetensors");
        SafetensorsFile expected = SafetensorsFile.open(MODELS.resolve("vit-classifier-f32/expected.safetensors"));
        io.jswift.tensor.io.SafetensorsWriter.write(pixels, java.util.Map.of("pixel_values", expected.tensor("pixel_values")), null);
        Path out = dir.resolve("vit.safetensors");
        assertEquals(0, Main.run("logits", "--model", MODELS.resolve("vit-classifier-f32").toString(), "--pixel_values", pixels.toString(),
                "--output", out.toString()));
        Tensor logits = SafetensorsFile.open(out).tensor("logits");
        assertArrayEquals(new int[]{5}, logits.shape());
        assertTrue(relL2(logits, expected.tensor("logits")) < 1e-4);
    }

    @Test
    void badInputsGiveOneClearLine() {
        String model = MODELS.resolve("llama-f32").toString();
        assertError("--input_ids: 'x' (position 1) is not an integer", "logits", "--model", model, "--input_ids", "1,x", "--output", dir.resolve("o").toString());
        assertError("token id 500 is outside the vocabulary [0, 128)", "logits", "--model", model, "--input_ids", "1,500", "--output", dir.resolve("o").toString());
        assertError("config.json does not exist", "logits", "--model", dir.toString(), "--input_ids", "1", "--output", dir.resolve("o").toString());
        assertError(dir.resolve("adapter_config.json") + " does not exist (a PEFT adapter directory holds adapter_config.json and "
                + "adapter_model.safetensors)", "logits", "--model", model, "--input_ids", "1", "--adapters", dir.toString(), "--output", dir.resolve("o").toString());
        assertError("--device nope: no backend for device 'nope:0' (backends found: [cpu, opencl", "logits", "--model", model, "--input_ids", "1", "--device", "nope", "--output", dir.resolve("o").toString());
    }

    private static void assertError(String fragment, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), args);
        assertEquals(ErrorReporter.EXIT_ERROR, code, err.toString());
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith("logits: error: ") && first.contains(fragment), first);
    }
}
