package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PtCommandTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private Path onlyRun(Path output) throws Exception {
        try (Stream<Path> s = Files.list(output)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            assertTrue(runs.get(0).getFileName().toString().matches("v0-\\d{8}-\\d{6}"), runs.get(0).toString());
            return runs.get(0);
        }
    }

    /** One SGD step moves every weight by exactly -lr × the gradient torch autograd computed (fixture). */
    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "qwen2-f32", "qwen3-f32"})
    void oneSgdStepEqualsTorchGradients(String name) throws Exception {
        Path model = MODELS.resolve(name);
        SafetensorsFile expected = SafetensorsFile.open(model.resolve("expected.safetensors"));
        long[] ids = expected.tensor("input_ids").toLongArray();
        Path data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"input_ids\": " + java.util.Arrays.toString(ids) + "}\n");
        Path out = dir.resolve("out-" + name);
        double lr = 0.1;
        int code = Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--optim", "sgd", "--learning_rate", Double.toString(lr), "--lr_scheduler_type", "constant", "--weight_decay", "0",
                "--max_grad_norm", "0", "--max_steps", "1", "--logging_steps", "1");
        assertEquals(0, code);
        Path run = onlyRun(out);
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"));
        SafetensorsFile trained = SafetensorsFile.open(run.resolve("checkpoint-1/model.safetensors"));
        assertEquals(base.names().size(), trained.names().size());
        for (String p : base.names()) {
            double[] w0 = base.tensor(p).toDoubleArray(), w1 = trained.tensor(p).toDoubleArray(), g = expected.tensor("grad." + p).toDoubleArray();
            double maxStep = 0;
            for (double v : g) maxStep = Math.max(maxStep, Math.abs(lr * v));
            for (int i = 0; i < w0.length; i++) {
                assertEquals(w0[i] - lr * g[i], w1[i], 1e-6 + 2e-4 * maxStep, name + " " + p + "[" + i + "]");
            }
        }
        assertTrue(Files.exists(run.resolve("checkpoint-1/config.json")));
        assertTrue(Files.exists(run.resolve("checkpoint-1/trainer_state.json")));
        assertTrue(Files.exists(run.resolve("args.json")));
        JsonNode log = new ObjectMapper().readTree(Files.readAllLines(run.resolve("logging.jsonl")).get(0));
        assertEquals(1, log.get("step").asInt());
        assertEquals(expected.tensor("loss").item(), log.get("loss").asDouble(), 1e-4);
    }

    /** SGD keeps the update linear in the gradient, so the comparison sees only float rounding. */
    @Test
    void gradientAccumulationEqualsOneLargeBatch() throws Exception {
        Path model = MODELS.resolve("qwen3-f32");
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7]}\n{\"input_ids\": [3, 8, 2], \"labels\": [-100, 8, 2]}\n");
        String[] common = {"--model", model.toString(), "--dataset", data.toString(), "--optim", "sgd", "--learning_rate", "0.1", "--max_grad_norm", "0",
                "--lr_scheduler_type", "constant", "--max_steps", "1", "--seed", "3"};
        Path big = dir.resolve("big"), acc = dir.resolve("acc");
        assertEquals(0, Main.run(concat(common, "--output_dir", big.toString(), "--per_device_train_batch_size", "2")));
        assertEquals(0, Main.run(concat(common, "--output_dir", acc.toString(), "--gradient_accumulation_steps", "2")));
        SafetensorsFile a = SafetensorsFile.open(onlyRun(big).resolve("checkpoint-1/model.safetensors"));
        SafetensorsFile b = SafetensorsFile.open(onlyRun(acc).resolve("checkpoint-1/model.safetensors"));
        for (String p : a.names()) assertArrayEquals(a.tensor(p).toDoubleArray(), b.tensor(p).toDoubleArray(), 1e-6, p);
    }

    @Test
    void checkpointedLayersTrainIdentically() throws Exception {
        Path model = MODELS.resolve("llama-f32");
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7, 100, 3]}\n");
        // SGD: the update is linear in the gradient, so only float rounding shows (AdamW's g/sqrt(v) turns rounding
        // differences of near-zero gradients into lr-sized steps, and JIT tiers round SIMD reductions differently)
        String[] common = {"--model", model.toString(), "--dataset", data.toString(), "--max_steps", "2", "--learning_rate", "0.01", "--optim", "sgd"};
        Path plain = dir.resolve("plain"), ckpt = dir.resolve("ckpt");
        assertEquals(0, Main.run(concat(common, "--output_dir", plain.toString())));
        assertEquals(0, Main.run(concat(common, "--output_dir", ckpt.toString(), "--gradient_checkpointing")));
        SafetensorsFile a = SafetensorsFile.open(onlyRun(plain).resolve("checkpoint-2/model.safetensors"));
        SafetensorsFile b = SafetensorsFile.open(onlyRun(ckpt).resolve("checkpoint-2/model.safetensors"));
        for (String p : a.names()) assertArrayEquals(a.tensor(p).toDoubleArray(), b.tensor(p).toDoubleArray(), 1e-6, p);
    }

    @Test
    void badRowsAndTextRowsFailWithFileAndLine() throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 2]}\n{\"input_ids\": [1, 999]}\n");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), "pt", "--model", MODELS.resolve("llama-f32").toString(), "--dataset", data.toString(),
                "--output_dir", dir.resolve("o").toString(), "--max_steps", "1");
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().contains(data + ":2: token id 999 is outside the vocabulary [0, 128)"), err.toString());
        Path text = dir.resolve("text.jsonl");
        Files.writeString(text, "{\"text\": \"hello\"}\n");
        err = new StringWriter();
        Main.run(new PrintWriter(err, true), "pt", "--model", MODELS.resolve("llama-f32").toString(), "--dataset", text.toString(),
                "--output_dir", dir.resolve("o").toString(), "--max_steps", "1");
        assertTrue(err.toString().contains(text + ":1: text rows need the model's tokenizer.json"), err.toString());
    }

    @Test
    void aNonFiniteLossStopsTheRunBeforeAnyCheckpoint() throws Exception {
        Path model = dir.resolve("nan-model");
        Files.createDirectories(model);
        Files.copy(MODELS.resolve("llama-f32/config.json"), model.resolve("config.json"));
        java.util.Map<String, Tensor> weights = new java.util.LinkedHashMap<>(SafetensorsFile.open(MODELS.resolve("llama-f32/model.safetensors")).tensors());
        Tensor norm = weights.get("model.norm.weight").copy();
        norm.setDouble(Double.NaN, 3);
        weights.put("model.norm.weight", norm);
        io.jswift.tensor.io.SafetensorsWriter.write(model.resolve("model.safetensors"), weights, null);
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14]}\n");
        StringWriter err = new StringWriter();
        Path out = dir.resolve("nan-out");
        int code = Main.run(new PrintWriter(err, true), "pt", "--model", model.toString(), "--dataset", data.toString(),
                "--output_dir", out.toString(), "--max_steps", "3", "--save_steps", "1");
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().contains("step 1: loss is NaN; stopped before writing a poisoned checkpoint"), err.toString());
        assertTrue(Files.notExists(onlyRun(out).resolve("checkpoint-1")));
    }

    @Test
    void textRowsAreTokenizedWithTheModelsTokenizerPlusEos() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        Path data = dir.resolve("text.jsonl");
        Files.writeString(data, "{\"text\": \"hello world\"}\n");
        Path out = dir.resolve("text-run");
        assertEquals(0, Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--max_steps", "1", "--optim", "sgd", "--learning_rate", "0.1", "--max_grad_norm", "0", "--lr_scheduler_type", "constant",
                "--weight_decay", "0", "--logging_steps", "1"));
        // the same ids as a pre-tokenized row must give the same first-step loss: h e l l o Ġ w o r l d <eos>
        long[] ids = {71, 68, 75, 75, 78, 94, 86, 78, 81, 75, 67, 127};
        Path tokenized = dir.resolve("ids.jsonl");
        Files.writeString(tokenized, "{\"input_ids\": " + java.util.Arrays.toString(ids) + "}\n");
        Path out2 = dir.resolve("ids-run");
        assertEquals(0, Main.run("pt", "--model", model.toString(), "--dataset", tokenized.toString(), "--output_dir", out2.toString(),
                "--max_steps", "1", "--optim", "sgd", "--learning_rate", "0.1", "--max_grad_norm", "0", "--lr_scheduler_type", "constant",
                "--weight_decay", "0", "--logging_steps", "1"));
        JsonNode a = new ObjectMapper().readTree(Files.readAllLines(onlyRun(out).resolve("logging.jsonl")).get(0));
        JsonNode b = new ObjectMapper().readTree(Files.readAllLines(onlyRun(out2).resolve("logging.jsonl")).get(0));
        assertEquals(b.get("loss").asDouble(), a.get("loss").asDouble(), 1e-9);
        assertTrue(Files.exists(onlyRun(out).resolve("checkpoint-1/tokenizer.json")), "tokenizer files travel with the checkpoint");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length + 1);
        out[0] = "pt";
        System.arraycopy(a, 0, out, 1, a.length);
        System.arraycopy(b, 0, out, a.length + 1, b.length);
        return out;
    }
}
