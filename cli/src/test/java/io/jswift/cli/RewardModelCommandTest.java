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
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jswift rlhf --rlhf_type rm} end to end on the tiny Llama with a character tokenizer: LoRA and full reward
 * models, PEFT's SEQ_CLS adapter layout, {@code export --merge_lora} to a *ForSequenceClassification directory, and
 * {@code logits} printing the score of a conversation.
 */
class RewardModelCommandTest {
    private static final List<String> TRL_METRICS = List.of("min_reward", "mean_reward", "max_reward", "accuracy", "margin");

    @TempDir
    Path dir;

    private Path model() throws Exception {
        Path m = TinyModels.llamaWithTinyTokenizer(dir);
        Files.writeString(m.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(java.util.Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}<eos>{% endif %}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant: {% endif %}")));
        return m;
    }

    private Path data() throws Exception {
        Path data = dir.resolve("pref.jsonl");
        String[][] rows = {{"hi", "hello", "go away"}, {"name?", "bo", "none of it"}, {"ok?", "yes", "no no no"}, {"why", "because", "dunno"}};
        StringBuilder s = new StringBuilder();
        for (String[] r : rows) {
            s.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(r[0]).append("\"}, {\"role\": \"assistant\", \"content\": \"")
                    .append(r[1]).append("\"}], \"rejected_response\": \"").append(r[2]).append("\"}\n");
        }
        Files.writeString(data, s);
        return data;
    }

    private Path conversation(String reply) throws Exception {
        Path f = dir.resolve("conv-" + reply.hashCode() + ".json");
        Files.writeString(f, "[{\"role\": \"user\", \"content\": \"ok?\"}, {\"role\": \"assistant\", \"content\": \"" + reply + "\"}]");
        return f;
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

    private static String[] rm(Path model, Path data, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("rlhf", "--rlhf_type", "rm", "--model", model.toString(), "--dataset", data.toString(),
                "--output_dir", out.toString(), "--per_device_train_batch_size", "2", "--logging_steps", "1", "--seed", "3"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private float score(String... args) throws Exception {
        Path out = dir.resolve("score-" + System.nanoTime() + ".safetensors");
        List<String> a = new ArrayList<>(List.of("logits"));
        a.addAll(List.of(args));
        a.addAll(List.of("--output", out.toString()));
        assertEquals(0, Main.run(a.toArray(String[]::new)));
        float[] v = SafetensorsFile.open(out).tensor("logits").toFloatArray();
        assertEquals(1, v.length, "a reward model's logits are its one score");
        return v[0];
    }

    @Test
    void loraRewardModelLearnsTheOrderAndSavesTheHeadAsPeftDoes() throws Exception {
        Path model = model(), out = dir.resolve("lora");
        assertEquals(0, Main.run(rm(model, data(), out, "--learning_rate", "5e-2", "--max_steps", "16", "--save_steps", "16", "--lora_rank", "4",
                "--lora_alpha", "8", "--center_rewards_coefficient", "0.01")));
        Path run = onlyRun(out);
        List<JsonNode> rows = log(run);
        assertEquals(16, rows.size());
        for (String key : TRL_METRICS) assertTrue(rows.get(0).has(key), key + " in " + rows.get(0));
        double firstLoss = (rows.get(0).get("loss").asDouble() + rows.get(1).get("loss").asDouble()) / 2;
        double lastLoss = (rows.get(14).get("loss").asDouble() + rows.get(15).get("loss").asDouble()) / 2;
        assertTrue(lastLoss < firstLoss - 0.2, "loss falls: " + firstLoss + " -> " + lastLoss);
        assertEquals(1.0, rows.get(15).get("accuracy").asDouble(), 1e-9, rows.get(15).toString());

        Path ckpt = run.resolve("checkpoint-16");
        Set<String> keys = Set.copyOf(SafetensorsFile.open(ckpt.resolve("adapter_model.safetensors")).names());
        assertTrue(keys.contains("base_model.model.score.weight"), keys.toString());
        assertTrue(keys.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), keys.toString());
        JsonNode config = new ObjectMapper().readTree(ckpt.resolve("adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("[\"classifier\",\"score\"]", config.get("modules_to_save").toString());

        float good = score("--model", model.toString(), "--adapters", ckpt.toString(), "--messages", conversation("yes").toString());
        float bad = score("--model", model.toString(), "--adapters", ckpt.toString(), "--messages", conversation("no no no").toString());
        assertTrue(good > bad, "the chosen reply scores higher: " + good + " vs " + bad);

        Path merged = dir.resolve("merged");
        assertEquals(0, Main.run("export", "--adapters", ckpt.toString(), "--model", model.toString(), "--merge_lora", "true",
                "--output_dir", merged.toString()));
        JsonNode mergedConfig = new ObjectMapper().readTree(merged.resolve("config.json").toFile());
        assertEquals("LlamaForSequenceClassification", mergedConfig.get("architectures").get(0).asText());
        assertEquals("{\"0\":\"LABEL_0\"}", mergedConfig.get("id2label").toString());
        Set<String> mergedKeys = Set.copyOf(SafetensorsFile.open(merged.resolve("model.safetensors")).names());
        assertTrue(mergedKeys.contains("score.weight") && mergedKeys.contains("model.embed_tokens.weight"), mergedKeys.toString());
        assertFalse(mergedKeys.stream().anyMatch(k -> k.startsWith("lm_head") || k.contains("lora")), mergedKeys.toString());
        assertEquals(good, score("--model", merged.toString(), "--messages", conversation("yes").toString()), 1e-4, "merged = base + adapter");
    }

    @Test
    void fullRewardModelCheckpointIsASequenceClassifierAndResumesExactly() throws Exception {
        Path model = model(), data = data();
        assertEquals(0, Main.run(rm(model, data, dir.resolve("full"), "--train_type", "full", "--learning_rate", "1e-3", "--max_steps", "4",
                "--save_steps", "2")));
        Path run = onlyRun(dir.resolve("full"));
        Path ckpt = run.resolve("checkpoint-2");
        JsonNode config = new ObjectMapper().readTree(ckpt.resolve("config.json").toFile());
        assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
        assertTrue(config.has("pad_token_id"), config.toString());
        assertTrue(SafetensorsFile.open(ckpt.resolve("model.safetensors")).names().contains("score.weight"));
        score("--model", run.resolve("checkpoint-4").toString(), "--messages", conversation("yes").toString());

        assertEquals(0, Main.run(rm(model, data, dir.resolve("resumed"), "--train_type", "full", "--learning_rate", "1e-3", "--max_steps", "4",
                "--save_steps", "2", "--resume_from_checkpoint", ckpt.toString())));
        List<JsonNode> a = log(run), b = log(onlyRun(dir.resolve("resumed")));
        assertEquals(2, b.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(a.get(2 + i).get("loss").asDouble(), b.get(i).get("loss").asDouble(), 1e-6, "step " + (3 + i));
            assertEquals(a.get(2 + i).get("margin").asDouble(), b.get(i).get("margin").asDouble(), 1e-6, "step " + (3 + i));
        }
    }

    @Test
    void badFlagsAndRowsAreOneLineErrors() throws Exception {
        Path model = model(), bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"rejected_response\": \"\"}\n");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), rm(model, bad, dir.resolve("x"), "--max_steps", "1")));
        assertTrue(err.toString().contains(bad + ":2: ") && err.toString().contains("rejected"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), rm(model, bad, dir.resolve("y"), "--beta", "0.1")));
        assertTrue(err.toString().contains("--rlhf_type rm takes none of --beta"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), rm(model, bad, dir.resolve("z"), "--center_rewards_coefficient", "-1")));
        assertTrue(err.toString().contains("--center_rewards_coefficient must be >= 0"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "rlhf", "--rlhf_type", "dpo", "--model", model.toString(), "--dataset", bad.toString(),
                "--center_rewards_coefficient", "0.1"));
        assertTrue(err.toString().contains("--center_rewards_coefficient is for --rlhf_type rm"), err.toString());
        assertTrue(!err.toString().contains("\tat "), "no stack trace: " + err);
    }
}
