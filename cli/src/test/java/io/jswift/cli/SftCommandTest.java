package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jswift sft} end to end on the tiny Llama with a character tokenizer: LoRA, DoRA, full, resume, evaluation. */
class SftCommandTest {
    @TempDir
    Path dir;

    /** The tiny model with a template that ends every reply with the special <eos> (the end-of-turn token sft trains). */
    private Path model() throws Exception {
        Path m = TinyModels.llamaWithTinyTokenizer(dir);
        Files.writeString(m.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(java.util.Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}<eos>{% endif %}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant: {% endif %}")));
        return m;
    }

    private Path data() throws Exception {
        Path data = dir.resolve("sc.jsonl");
        StringBuilder rows = new StringBuilder();
        String[] q = {"who are you?", "your name?", "who made you?", "hi", "what are you?", "name please"};
        for (int i = 0; i < q.length; i++) {
            rows.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(q[i])
                    .append("\"}, {\"role\": \"assistant\", \"content\": \"I am {{NAME}} by {{AUTHOR}}.\"}]}\n");
        }
        Files.writeString(data, rows);
        return data;
    }

    private static Path onlyRun(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    private static List<JsonNode> log(Path run) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) rows.add(new ObjectMapper().readTree(line));
        return rows;
    }

    private String[] sft(Path model, Path data, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("sft", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--model_name", "Bo", "--model_author", "Al", "--per_device_train_batch_size", "2", "--logging_steps", "1", "--seed", "3"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void loraWritesAPeftAdapterAndLearnsTheReplies() throws Exception {
        Path model = model(), out = dir.resolve("lora");
        assertEquals(0, Main.run(sft(model, data(), out, "--learning_rate", "5e-3", "--max_steps", "30", "--save_steps", "15", "--lora_rank", "4",
                "--lora_alpha", "8", "--target_modules", "q_proj,v_proj,down_proj")));
        Path run = onlyRun(out), ckpt = run.resolve("checkpoint-30");
        assertTrue(Files.exists(run.resolve("checkpoint-15/adapter_model.safetensors")));
        assertFalse(Files.exists(ckpt.resolve("model.safetensors")), "LoRA checkpoints hold the adapter only");
        SafetensorsFile adapter = SafetensorsFile.open(ckpt.resolve("adapter_model.safetensors"));
        assertTrue(adapter.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), adapter.names().toString());
        assertTrue(adapter.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"), adapter.names().toString());
        assertFalse(adapter.names().stream().anyMatch(n -> n.contains("k_proj") || n.contains("lm_head")), adapter.names().toString());
        assertEquals(4, adapter.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").size(0));
        JsonNode config = new ObjectMapper().readTree(ckpt.resolve("adapter_config.json").toFile());
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals(4, config.get("r").asInt());
        assertEquals(8, config.get("lora_alpha").asDouble());
        JsonNode args = new ObjectMapper().readTree(ckpt.resolve("args.json").toFile());
        assertEquals("lora", args.get("train_type").asText());
        assertEquals(model.toString(), args.get("model").asText());
        // the checkpoint names its base model: --adapters alone is enough (ms-swift's `swift infer --adapters CKPT`)
        Path withBase = dir.resolve("with-base.safetensors"), alone = dir.resolve("alone.safetensors"), base = dir.resolve("base.safetensors");
        assertEquals(0, Main.run("logits", "--model", model.toString(), "--adapters", ckpt.toString(), "--input_ids", "5,9,14", "--output", withBase.toString()));
        assertEquals(0, Main.run("logits", "--adapters", ckpt.toString(), "--input_ids", "5,9,14", "--output", alone.toString()));
        assertEquals(0, Main.run("logits", "--model", model.toString(), "--input_ids", "5,9,14", "--output", base.toString()));
        double[] a = SafetensorsFile.open(withBase).tensor("logits").toDoubleArray(), b = SafetensorsFile.open(alone).tensor("logits").toDoubleArray();
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, 1e-5); // same computation; JIT tiers round SIMD sums differently
        assertNotEquals(a[0], SafetensorsFile.open(base).tensor("logits").toDoubleArray()[0], "the adapter changes the logits");
        List<JsonNode> rows = log(run);
        double first = rows.get(0).get("loss").asDouble(), last = rows.get(rows.size() - 1).get("loss").asDouble();
        assertTrue(last < 0.5 * first, "loss falls: " + first + " -> " + last);
    }

    @Test
    void doraAndFullTrainTheirParameters() throws Exception {
        Path model = model(), data = data();
        assertEquals(0, Main.run(sft(model, data, dir.resolve("dora"), "--train_type", "dora", "--max_steps", "2", "--save_steps", "0")));
        SafetensorsFile dora = SafetensorsFile.open(onlyRun(dir.resolve("dora")).resolve("checkpoint-2/adapter_model.safetensors"));
        assertTrue(dora.names().stream().anyMatch(n -> n.endsWith("lora_magnitude_vector")), dora.names().toString());
        assertEquals(0, Main.run(sft(model, data, dir.resolve("full"), "--tuner_type", "full", "--max_steps", "2", "--save_steps", "0")));
        Path full = onlyRun(dir.resolve("full")).resolve("checkpoint-2");
        assertTrue(Files.exists(full.resolve("model.safetensors")));
        assertTrue(Files.exists(full.resolve("tokenizer.json")));
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors")), trained = SafetensorsFile.open(full.resolve("model.safetensors"));
        String w = "model.layers.0.mlp.up_proj.weight";
        assertNotEquals(base.tensor(w).toDoubleArray()[0], trained.tensor(w).toDoubleArray()[0]);
    }

    /** LoRA dropout draws from the checkpointed generator: a resumed run repeats the same masks. */
    @Test
    void resumedLoraRunContinuesTheLossCurve() throws Exception {
        Path model = model(), data = data();
        String[] common = {"--learning_rate", "3e-3", "--max_steps", "8", "--save_steps", "4", "--lora_dropout", "0.3"};
        assertEquals(0, Main.run(sft(model, data, dir.resolve("a"), common)));
        Path a = onlyRun(dir.resolve("a"));
        List<String> resume = new ArrayList<>(List.of(common));
        resume.addAll(List.of("--resume_from_checkpoint", a.resolve("checkpoint-4").toString()));
        assertEquals(0, Main.run(sft(model, data, dir.resolve("b"), resume.toArray(String[]::new))));
        List<JsonNode> full = log(a), resumed = log(onlyRun(dir.resolve("b")));
        assertEquals(4, resumed.size());
        for (JsonNode r : resumed) {
            JsonNode f = full.get(r.get("step").asInt() - 1);
            assertEquals(f.get("loss").asDouble(), r.get("loss").asDouble(), 1e-5 * f.get("loss").asDouble(), "step " + r.get("step"));
        }
    }

    @Test
    void splitDatasetRatioEvaluates() throws Exception {
        Path model = model(), out = dir.resolve("eval");
        assertEquals(0, Main.run(sft(model, data(), out, "--max_steps", "4", "--save_steps", "0", "--eval_steps", "2", "--split_dataset_ratio", "0.3")));
        List<JsonNode> evals = log(onlyRun(out)).stream().filter(r -> r.has("eval_loss")).toList();
        assertEquals(List.of(2, 4), evals.stream().map(r -> r.get("step").asInt()).toList());
        assertTrue(evals.get(0).get("eval_loss").asDouble() > 0);
    }

    /** A directory with only config and weights (a benchmark model) trains pre-tokenized rows; a conversation row names what is missing. */
    @Test
    void modelWithoutTokenizerTrainsPreTokenizedRows() throws Exception {
        Path model = TinyModels.MODELS.resolve("qwen3-f32"), rows = dir.resolve("ids.jsonl"), chat = dir.resolve("chat.jsonl");
        Files.writeString(rows, "{\"input_ids\": [1, 5, 9, 14], \"labels\": [-100, -100, 9, 14]}\n{\"input_ids\": [3, 8, 2]}\n");
        assertEquals(0, Main.run("sft", "--model", model.toString(), "--dataset", rows.toString(), "--output_dir", dir.resolve("ids").toString(),
                "--max_steps", "1", "--save_steps", "0"));
        Files.writeString(chat, "{\"input_ids\": [1, 2]}\n{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "sft", "--model", model.toString(), "--dataset", chat.toString(), "--output_dir",
                dir.resolve("chat").toString(), "--max_steps", "1"));
        assertTrue(err.toString().contains(chat + ":2: ") && err.toString().contains("tokenizer.json"), err.toString());
    }

    @Test
    void badTrainTypeAndTargetsAreOneLineErrors() throws Exception {
        Path model = model(), data = data();
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), sft(model, data, dir.resolve("x"), "--train_type", "qlora")));
        assertTrue(err.toString().contains("--train_type must be lora, dora or full"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), sft(model, data, dir.resolve("y"), "--target_modules", "qq_proj")));
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith("sft: error: ") && first.contains("qq_proj") && first.contains("q_proj"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace without --verbose: " + err);
    }
}
