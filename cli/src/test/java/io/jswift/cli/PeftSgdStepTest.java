package io.jswift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One SGD step of {@code jswift sft --adapters} on an adapter PEFT saved moves every adapter tensor by exactly
 * -lr × the gradient PEFT computed for it (tools/fixtures/make_peft_adapters.py, recorded without dropout).
 */
class PeftSgdStepTest {
    private static final Path ADAPTERS = Path.of("../models/src/test/resources/adapters").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"peft-lora-llama, llama-f32", "peft-dora-qwen2, qwen2-f32"})
    void oneSgdStepEqualsPeftGradients(String adapter, String base) throws Exception {
        Path copy = Files.createDirectories(dir.resolve(adapter));
        for (String f : List.of("adapter_model.safetensors", "adapter_config.json")) Files.copy(ADAPTERS.resolve(adapter).resolve(f), copy.resolve(f));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(copy.resolve("adapter_config.json").toFile());
        config.put("lora_dropout", 0.0); // PEFT's gradients were taken in eval mode
        json.writeValue(copy.resolve("adapter_config.json").toFile(), config);
        SafetensorsFile expected = SafetensorsFile.open(ADAPTERS.resolve(adapter).resolve("expected.safetensors"));
        Path data = dir.resolve("ids.jsonl");
        Files.writeString(data, "{\"input_ids\": " + java.util.Arrays.toString(expected.tensor("input_ids").toLongArray()) + "}\n");
        double lr = 0.1;
        Path out = dir.resolve("out");
        assertEquals(0, Main.run("sft", "--model", TinyModels.MODELS.resolve(base).toString(), "--adapters", copy.toString(), "--dataset", data.toString(),
                "--output_dir", out.toString(), "--optim", "sgd", "--learning_rate", Double.toString(lr), "--lr_scheduler_type", "constant",
                "--weight_decay", "0", "--max_grad_norm", "0", "--max_steps", "1", "--max_length", "4096"));
        Path ckpt;
        try (Stream<Path> s = Files.list(out)) {
            ckpt = s.findFirst().orElseThrow().resolve("checkpoint-1");
        }
        SafetensorsFile before = SafetensorsFile.open(copy.resolve("adapter_model.safetensors"));
        SafetensorsFile after = SafetensorsFile.open(ckpt.resolve("adapter_model.safetensors"));
        assertEquals(before.names().size(), after.names().size());
        int moved = 0;
        for (String name : before.names()) {
            double[] w0 = before.tensor(name).toDoubleArray(), w1 = after.tensor(name).toDoubleArray(), g = expected.tensor("grad." + name).toDoubleArray();
            double maxStep = 0;
            for (double v : g) maxStep = Math.max(maxStep, Math.abs(lr * v));
            for (int i = 0; i < w0.length; i++) assertEquals(w0[i] - lr * g[i], w1[i], 1e-7 + 1e-3 * maxStep, name + "[" + i + "]");
            if (maxStep > 0) moved++;
        }
        assertTrue(moved > 0);
        assertTrue(!Files.exists(ckpt.resolve("model.safetensors")), "only the adapter is saved");
    }
}
