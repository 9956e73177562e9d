package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sft} and {@code rlhf} (dpo, grpo) runs end with ms-swift's images/ folder: one PNG per scalar of their logging.jsonl. */
class TrainingPlotsCommandTest {
    @TempDir
    Path dir;

    private Path model() throws Exception {
        Path m = TinyModels.llamaWithTinyTokenizer(dir);
        Files.writeString(m.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}<eos>{% endif %}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant: {% endif %}")));
        return m;
    }

    private Path rows(String name, String[][] rows) throws Exception {
        StringBuilder s = new StringBuilder();
        for (String[] r : rows) {
            s.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(r[0]).append("\"}, {\"role\": \"assistant\", \"content\": \"")
                    .append(r[1]).append("\"}]").append(r.length > 2 ? ", \"rejected_response\": \"" + r[2] + "\"" : "").append("}\n");
        }
        return Files.writeString(dir.resolve(name), s);
    }

    private static Path onlyRun(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    /** The image names logging.jsonl's keys call for, written out by ms-swift's rule (tag with '/' and '.' as '_'). */
    private static Set<String> expectedImages(Path run) throws Exception {
        Set<String> names = new TreeSet<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            for (var e : row.properties()) {
                String k = e.getKey();
                if (k.equals("step") || !e.getValue().isNumber()) continue;
                String tag = k.equals("lr") ? "train/learning_rate" : k.startsWith("eval_") ? "eval/" + k.substring(5) : "train/" + k;
                names.add(tag.replace('/', '_').replace('.', '_') + ".png");
            }
        }
        return names;
    }

    private static Set<String> images(Path run) throws Exception {
        try (Stream<Path> s = Files.list(run.resolve("images"))) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static List<String> common(Path model, Path data, Path out) {
        return new ArrayList<>(List.of("--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--per_device_train_batch_size", "2", "--logging_steps", "1", "--seed", "3", "--max_steps", "4", "--save_steps", "2",
                "--eval_steps", "2", "--split_dataset_ratio", "0.3", "--lora_rank", "4", "--lora_alpha", "8"));
    }

    @Test
    void sftRunDrawsLossLearningRateGradNormAndEvalLoss() throws Exception {
        Path out = dir.resolve("sft");
        List<String> a = common(model(), rows("sft.jsonl", new String[][] {{"who are you?", "I am Bo."}, {"your name?", "Bo."}, {"hi", "hello"},
                {"name please", "Bo it is"}, {"what are you?", "a model"}, {"who made you?", "Al"}}), out);
        a.addFirst("sft");
        assertEquals(0, Main.run(a.toArray(String[]::new)));
        Path run = onlyRun(out);
        Set<String> images = images(run);
        assertEquals(expectedImages(run), images);
        for (String name : List.of("train_loss.png", "train_learning_rate.png", "train_grad_norm.png", "train_num_tokens.png", "eval_loss.png")) {
            assertTrue(images.contains(name), name + " in " + images);
        }
    }

    @Test
    void dpoRunAlsoDrawsRewardMarginsAndAccuracies() throws Exception {
        Path out = dir.resolve("dpo");
        List<String> a = common(model(), rows("pref.jsonl", new String[][] {{"hi", "hello", "go away"}, {"name?", "bo", "none of it"},
                {"ok?", "yes", "no no no"}, {"why", "because", "dunno"}, {"who", "me", "nobody"}, {"a?", "a", "b"}}), out);
        a.addAll(0, List.of("rlhf", "--rlhf_type", "dpo"));
        assertEquals(0, Main.run(a.toArray(String[]::new)));
        Path run = onlyRun(out);
        Set<String> images = images(run);
        assertEquals(expectedImages(run), images);
        for (String name : List.of("train_loss.png", "train_rewards_margins.png", "train_rewards_accuracies.png", "train_num_tokens.png",
                "eval_loss.png", "eval_rewards_margins.png", "eval_rewards_accuracies.png")) {
            assertTrue(images.contains(name), name + " in " + images);
        }
    }

    @Test
    void grpoRunDrawsRewardAndKl() throws Exception {
        Path data = Files.writeString(dir.resolve("grpo.jsonl"), """
                {"messages": [{"role": "user", "content": "1+1?"}], "solution": "2"}
                {"messages": [{"role": "user", "content": "2+2?"}], "solution": "4"}
                """);
        Path out = dir.resolve("grpo");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "grpo", "--model", TinyModels.llamaWithTinyTokenizer(dir).toString(), "--dataset", data.toString(),
                "--output_dir", out.toString(), "--num_generations", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "4",
                "--reward_funcs", "repetition", "--max_steps", "2", "--logging_steps", "1", "--save_steps", "2", "--lora_rank", "4", "--seed", "5"));
        Path run = onlyRun(out);
        Set<String> images = images(run);
        assertEquals(expectedImages(run), images);
        for (String name : List.of("train_loss.png", "train_reward.png", "train_reward_std.png", "train_rewards_repetition_mean.png", "train_kl.png")) {
            assertTrue(images.contains(name), name + " in " + images);
        }
    }
}
