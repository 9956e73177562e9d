package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jswift rlhf --rlhf_type kto} end to end on the tiny Llama with a character tokenizer. */
class KtoCommandTest {
    private static final List<String> TRL_METRICS = List.of("kl", "entropy", "logits/chosen", "logits/rejected", "rewards/chosen", "logps/chosen",
            "rewards/rejected", "logps/rejected", "rewards/margins");

    @TempDir
    Path dir;

    private Path model() throws Exception {
        Path m = TinyModels.llamaWithTinyTokenizer(dir);
        Files.writeString(m.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(java.util.Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}<eos>{% endif %}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant: {% endif %}")));
        return m;
    }

    /** ms-swift's KTO rows (messages + label), 1/0 labels, and a preference row TRL unpairs into one of each. */
    private Path data() throws Exception {
        Path data = dir.resolve("kto.jsonl");
        String[][] rows = {{"hi", "hello", "true"}, {"hi", "go away", "false"}, {"ok?", "yes", "1"}, {"ok?", "no no no", "0"}};
        StringBuilder s = new StringBuilder();
        for (String[] r : rows) {
            s.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(r[0]).append("\"}, {\"role\": \"assistant\", \"content\": \"")
                    .append(r[1]).append("\"}], \"label\": ").append(r[2]).append("}\n");
        }
        s.append("{\"prompt\": \"why\", \"chosen\": \"because\", \"rejected\": \"dunno\"}\n");
        Files.writeString(data, s);
        return data;
    }

    private static Path onlyRun(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    private static String[] kto(Path model, Path data, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("rlhf", "--rlhf_type", "kto", "--model", model.toString(), "--dataset", data.toString(),
                "--output_dir", out.toString(), "--logging_steps", "1", "--seed", "3"));
        if (!List.of(extra).contains("--per_device_train_batch_size")) a.addAll(List.of("--per_device_train_batch_size", "3"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void loraKtoLogsTrlsMetricsAndRewardsTheDesirableReplies() throws Exception {
        Path model = model(), out = dir.resolve("lora");
        StringWriter log = new StringWriter();
        assertEquals(0, Main.run(kto(model, data(), out, "--learning_rate", "2e-2", "--max_steps", "20", "--save_steps", "20", "--lora_rank", "4",
                "--lora_alpha", "8", "--beta", "0.5", "--undesirable_weight", "1.2", "--val_dataset", data().toString(),
                "--per_device_eval_batch_size", "2")));
        Path run = onlyRun(out);
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) rows.add(new ObjectMapper().readTree(line));
        JsonNode first = rows.get(0);
        for (String key : TRL_METRICS) assertTrue(rows.stream().anyMatch(r -> r.has(key)), key + " logged");
        assertTrue(first.get("kl").asDouble() >= 0, first.toString());
        JsonNode eval = rows.get(rows.size() - 1);
        assertTrue(eval.has("eval_loss") && eval.has("eval_rewards/margins"), eval.toString());
        assertTrue(eval.get("eval_rewards/margins").asDouble() > 0.5, "desirable replies gain on undesirable ones: " + eval);
        JsonNode args = new ObjectMapper().readTree(run.resolve("args.json").toFile());
        assertEquals(1.2, args.get("undesirable_weight").asDouble());
        assertEquals("kto", args.get("loss_type").asText());
        assertTrue(Files.isRegularFile(run.resolve("checkpoint-20/adapter_model.safetensors")));
    }

    @Test
    void badRowsAndFlagsAreOneLineErrors() throws Exception {
        Path model = model(), bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"label\": true}\n"
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"label\": \"yes\"}\n");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), kto(model, bad, dir.resolve("x"), "--max_steps", "1")));
        assertTrue(err.toString().contains(bad + ":2: ") && err.toString().contains("'label'"), err.toString());
        Path plain = dir.resolve("plain.jsonl");
        Files.writeString(plain, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n");
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), kto(model, plain, dir.resolve("y"), "--max_steps", "1")));
        assertTrue(err.toString().contains(plain + ":1: ") && err.toString().contains("needs 'label'"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), kto(model, bad, dir.resolve("z"), "--per_device_train_batch_size", "1")));
        assertTrue(err.toString().contains("--per_device_train_batch_size must be > 1"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), kto(model, bad, dir.resolve("w"), "--loss_type", "bco")));
        assertTrue(err.toString().contains("--loss_type for kto must be kto or apo_zero_unpaired"), err.toString());
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "rlhf", "--rlhf_type", "dpo", "--model", model.toString(), "--dataset", bad.toString(),
                "--desirable_weight", "2"), err.toString());
        assertTrue(err.toString().contains("--desirable_weight and --undesirable_weight are for --rlhf_type kto"), err.toString());
        assertTrue(!err.toString().contains("\tat "), "no stack trace: " + err);
    }
}
