package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.type.TypeReference;
import io.jswift.tensor.Device;
import io.jswift.train.grpo.RewardFunction;
import io.jswift.train.grpo.RewardModelReward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jswift rlhf --rlhf_type grpo --reward_model BASE --reward_adapters DIR} with a LoRA reward model trained by
 * {@code rlhf --rlhf_type rm}: each completion's reward column (named by the adapter's base directory, as TRL names it
 * by the model) is the reward model's score of the logged prompt + completion (its agreement with transformers is
 * RewardModelRewardTest's), and the logged reward is the weighted sum with the rule reward.
 */
class GrpoRewardModelTest {
    @TempDir
    Path dir;

    private static Path onlyRun(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    private Path model() throws Exception {
        Path m = TinyModels.llamaWithTinyTokenizer(dir);
        Files.writeString(m.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}{% if m.role == 'assistant' %}<eos>{% endif %}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant: {% endif %}")));
        return m;
    }

    @Test
    void completionsAreScoredByTheRewardModelUnderItsOwnTemplate() throws Exception {
        Path model = model();
        Path pairs = dir.resolve("pref.jsonl");
        Files.writeString(pairs, """
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "rejected_response": "go away"}
                {"messages": [{"role": "user", "content": "ok?"}, {"role": "assistant", "content": "yes"}], "rejected_response": "no no"}
                """);
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "rm", "--model", model.toString(), "--dataset", pairs.toString(), "--lora_rank", "4",
                "--output_dir", dir.resolve("rm").toString(), "--max_steps", "2", "--save_steps", "2", "--per_device_train_batch_size", "2",
                "--learning_rate", "1e-3"));
        Path rm = onlyRun(dir.resolve("rm")).resolve("checkpoint-2");

        Path prompts = dir.resolve("grpo.jsonl");
        Files.writeString(prompts, """
                {"messages": [{"role": "user", "content": "hi"}]}
                {"messages": [{"role": "user", "content": "ok?"}]}
                """);
        Path out = dir.resolve("grpo");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", prompts.toString(), "--output_dir", out.toString(),
                "--num_generations", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "4", "--reward_funcs", "repetition",
                "--reward_model", model.toString(), "--reward_adapters", rm.toString(), "--reward_weights", "0.5,2", "--max_steps", "1", "--save_steps", "0", "--lora_rank", "4", "--seed", "7",
                "--log_completions", "true", "--beta", "0"));
        Path run = onlyRun(out);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve("completions.jsonl"));
        assertEquals(4, lines.size());
        RewardModelReward scorer = RewardModelReward.load(model, rm, Device.CPU);
        String column = model.getFileName().toString();
        for (String line : lines) {
            JsonNode row = json.readTree(line);
            assertTrue(row.has(column) && row.has("repetition"), row.toString());
            List<Map<String, Object>> prompt = json.convertValue(row.get("prompt"), new TypeReference<>() {});
            double score = scorer.score(List.of(new RewardFunction.Sample(prompt, row.get("completion").asText(), new int[0], Map.of())))[0];
            assertEquals(score, row.get(column).asDouble(), 1e-4, "the reward model's score of " + row);
        }
        JsonNode step = json.readTree(Files.readAllLines(run.resolve("logging.jsonl")).getFirst());
        assertTrue(step.has("rewards/" + column + "/mean"), step.toString());
        double want = 0.5 * step.get("rewards/repetition/mean").asDouble() + 2 * step.get("rewards/" + column + "/mean").asDouble();
        assertEquals(want, step.get("reward").asDouble(), 1e-5, "reward = weighted sum over the functions, then the model");

        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", prompts.toString(),
                "--output_dir", dir.resolve("bad").toString(), "--num_generations", "2", "--per_device_train_batch_size", "2", "--reward_model", model.toString()));
        assertTrue(err.toString().contains("is not a sequence classifier"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(1, Main.run(new PrintWriter(err, true), "rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", prompts.toString(),
                "--output_dir", dir.resolve("bad").toString(), "--num_generations", "2", "--per_device_train_batch_size", "2", "--reward_model", rm.toString()));
        assertTrue(err.toString().contains("is an adapter: pass its base model as --reward_model"), err.toString());
    }
}
