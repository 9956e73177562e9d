package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jswift rlhf --rlhf_type grpo} end to end on the tiny Llama with a byte-level tokenizer: LoRA, beta > 0, logs and completions.jsonl. */
class GrpoCommandTest {
    @TempDir
    Path dir;

    private Path data() throws Exception {
        Path data = dir.resolve("grpo.jsonl");
        Files.writeString(data, """
                {"messages": [{"role": "user", "content": "1+1?"}], "solution": "2"}
                {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "solution": "4"}
                """);
        return data;
    }

    private static Path onlyRun(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    @Test
    void loraGrpoWritesTrlsMetricsAndTheSampledCompletions() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), out = dir.resolve("out");
        int rc = Main.run(new String[]{"rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--output_dir", out.toString(),
                "--num_generations", "4", "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "2", "--max_completion_length", "5",
                "--reward_funcs", "repetition,soft_overlong", "--reward_weights", "1,0.5", "--soft_cache_length", "2", "--max_steps", "2",
                "--logging_steps", "1", "--save_steps", "2", "--lora_rank", "4", "--seed", "5", "--log_completions", "true"});
        assertEquals(0, rc);
        Path run = onlyRun(out);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> log = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("logging.jsonl"))) log.add(json.readTree(line));
        assertEquals(2, log.size());
        for (String key : List.of("loss", "reward", "reward_std", "rewards/repetition/mean", "rewards/soft_overlong/std", "completions/mean_length",
                "completions/clipped_ratio", "kl", "clip_ratio/region_mean")) {
            assertTrue(log.getFirst().has(key), key + " in " + log.getFirst());
        }
        List<String> lines = Files.readAllLines(run.resolve("completions.jsonl"));
        assertEquals(2 * 2 * 4, lines.size(), "2 steps x 2 prompts x 4 generations");
        JsonNode first = json.readTree(lines.getFirst());
        for (String key : List.of("step", "prompt", "completion", "repetition", "soft_overlong", "advantages", "prompt_ids", "completion_ids")) {
            assertTrue(first.has(key), key + " in " + first);
        }
        int ids = first.get("completion_ids").size();
        assertTrue(ids >= 1 && ids <= 5);
        // soft_overlong with max 5, cache 2: min(-(len - 3) / 2, 0) on the ids as sampled
        assertEquals(Math.min(-(ids - 3) / 2.0, 0), first.get("soft_overlong").asDouble(), 1e-12);
        assertEquals("user", first.get("prompt").get(0).get("role").asText());
        assertTrue(Files.exists(run.resolve("checkpoint-2/adapter_model.safetensors")));
        JsonNode args = json.readTree(run.resolve("args.json").toFile());
        assertEquals(0.04, args.get("beta").asDouble());
        assertEquals("grpo", args.get("loss_type").asText());
    }

    /**
     * TRL 1.13 only needs the generation batch (batch x accumulation) to hold whole groups: 3 completions per micro-batch
     * with 4 accumulation steps and 4 generations samples 3 prompts per step and trains their 12 completions shuffled
     * into 4 micro-batches of 3.
     */
    @Test
    void aMicroBatchMayHoldPartOfAPromptsGroup() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), out = dir.resolve("partial");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--output_dir", out.toString(),
                "--num_generations", "4", "--per_device_train_batch_size", "3", "--gradient_accumulation_steps", "4", "--max_completion_length", "4",
                "--reward_funcs", "repetition", "--max_steps", "2", "--logging_steps", "1", "--save_steps", "0", "--lora_rank", "4", "--seed", "6",
                "--log_completions", "true"));
        Path run = onlyRun(out);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(run.resolve("completions.jsonl"));
        assertEquals(2 * 3 * 4, lines.size(), "2 steps x 3 prompts x 4 generations");
        List<String> log = Files.readAllLines(run.resolve("logging.jsonl"));
        assertEquals(2, log.size());
        assertTrue(Double.isFinite(json.readTree(log.get(1)).get("loss").asDouble()), log.get(1));
    }

    @Test
    void theReferenceIsTheBaseModelUnlessRefAdaptersIsGiven() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), data = data();
        String[] common = {"rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data.toString(), "--num_generations", "2",
                "--per_device_train_batch_size", "4", "--max_completion_length", "4", "--reward_funcs", "repetition", "--logging_steps", "1", "--seed", "9"};
        // PEFT's LoRA for the tiny Llama (non-zero B), continued by the policy
        Path adapter = Path.of("../models/src/test/resources/adapters/peft-lora-llama").toAbsolutePath().normalize();
        assertEquals(0, Main.run(concat(common, "--output_dir", dir.resolve("base-ref").toString(), "--max_steps", "1", "--adapters", adapter.toString())));
        assertEquals(0, Main.run(concat(common, "--output_dir", dir.resolve("own-ref").toString(), "--max_steps", "1", "--adapters", adapter.toString(),
                "--ref_adapters", adapter.toString())));
        ObjectMapper json = new ObjectMapper();
        double kBase = json.readTree(Files.readAllLines(onlyRun(dir.resolve("base-ref")).resolve("logging.jsonl")).getFirst()).get("kl").asDouble();
        double kOwn = json.readTree(Files.readAllLines(onlyRun(dir.resolve("own-ref")).resolve("logging.jsonl")).getFirst()).get("kl").asDouble();
        // before the first update the policy is the continued adapter: KL 0 to itself, > 0 to the base model
        assertTrue(kOwn < 1e-9, "kl to --ref_adapters (the same adapter) " + kOwn);
        assertTrue(kBase > 1e-6, "kl to the base model " + kBase);
    }

    /**
     * --ref_model: the reference is that model's log-probs. Pointing at the base model it equals the default reference
     * (the LoRA policy with its adapter disabled) step for step; another model of the same vocabulary gives another KL;
     * one of another vocabulary is refused. The policy continues PEFT's LoRA of the tiny Llama (non-zero B), so it
     * differs from the base from the first step and the KL term alone moves it.
     */
    @Test
    void refModelIsTheKlReference() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), data = data();
        Path adapter = Path.of("../models/src/test/resources/adapters/peft-lora-llama").toAbsolutePath().normalize();
        String[] common = {"rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data.toString(), "--num_generations", "2",
                "--per_device_train_batch_size", "4", "--max_completion_length", "4", "--reward_funcs", "repetition", "--logging_steps", "1", "--seed", "9",
                "--max_steps", "2", "--save_steps", "0", "--adapters", adapter.toString(), "--learning_rate", "5e-2"};
        assertEquals(0, Main.run(concat(common, "--output_dir", dir.resolve("default").toString(), "--beta", "0.1")));
        assertEquals(0, Main.run(concat(common, "--output_dir", dir.resolve("base").toString(), "--beta", "0.1", "--ref_model", model.toString())));
        Path other = TinyModels.MODELS.resolve("qwen2-f32");
        assertEquals(0, Main.run(concat(common, "--output_dir", dir.resolve("other").toString(), "--beta", "0.1", "--ref_model", other.toString())));
        ObjectMapper json = new ObjectMapper();
        List<String> a = Files.readAllLines(onlyRun(dir.resolve("default")).resolve("logging.jsonl"));
        List<String> b = Files.readAllLines(onlyRun(dir.resolve("base")).resolve("logging.jsonl"));
        List<String> c = Files.readAllLines(onlyRun(dir.resolve("other")).resolve("logging.jsonl"));
        for (int i = 0; i < 2; i++) {
            JsonNode want = json.readTree(a.get(i)), got = json.readTree(b.get(i));
            for (String key : List.of("loss", "grad_norm", "kl", "reward")) {
                assertEquals(want.get(key).asDouble(), got.get(key).asDouble(), 1e-6 * (1 + Math.abs(want.get(key).asDouble())), "step " + (i + 1) + " " + key);
            }
        }
        double kDefault = json.readTree(a.getFirst()).get("kl").asDouble();
        assertTrue(kDefault > 1e-6 && json.readTree(a.getFirst()).get("grad_norm").asDouble() > 0, "the continued adapter is not the base: " + a.getFirst());
        double kOther = json.readTree(c.getFirst()).get("kl").asDouble();
        assertTrue(Math.abs(kOther - kDefault) > 1e-3, "another reference model, another KL: " + kOther + " vs " + kDefault);
        assertEquals(other.toString(), json.readTree(onlyRun(dir.resolve("other")).resolve("args.json").toFile()).get("ref_model").asText());
        assertFails("has a vocabulary of 272 but the model 128", concat(common, "--output_dir", dir.resolve("x").toString(), "--beta", "0.1", "--ref_model",
                TinyModels.MODELS.resolve("qwen2-vl-f32").toString()));
        assertFails("--ref_model gives the KL reference: it needs --beta > 0", concat(common, "--output_dir", dir.resolve("y").toString(), "--ref_model",
                model.toString(), "--beta", "0"));
    }

    /**
     * --val_dataset / --split_dataset_ratio with --eval_steps: every evaluation samples and scores the eval prompts and
     * logs TRL's eval keys (eval_loss, eval_reward, eval_rewards/NAME/mean, eval_completions/..., eval_kl); the eval batch
     * counts completions and must hold whole groups.
     */
    @Test
    void evaluationSamplesTheEvalPromptsAndLogsTrlsEvalKeys() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), val = dir.resolve("val.jsonl");
        Files.writeString(val, """
                {"messages": [{"role": "user", "content": "3+3?"}], "solution": "6"}
                {"messages": [{"role": "user", "content": "4+4?"}], "solution": "8"}
                {"messages": [{"role": "user", "content": "5+5?"}], "solution": "10"}
                """);
        String[] common = {"rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--num_generations", "2",
                "--per_device_train_batch_size", "4", "--max_completion_length", "4", "--reward_funcs", "repetition", "--logging_steps", "1", "--seed", "5",
                "--max_steps", "2", "--save_steps", "0", "--lora_rank", "4"};
        Path out = dir.resolve("eval");
        assertEquals(0, Main.run(concat(common, "--output_dir", out.toString(), "--val_dataset", val.toString(), "--eval_steps", "1",
                "--per_device_eval_batch_size", "4")));
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(onlyRun(out).resolve("logging.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.has("eval_loss")) evals.add(row);
        }
        assertEquals(2, evals.size(), "evaluated after steps 1 and 2");
        for (String key : List.of("eval_loss", "eval_reward", "eval_reward_std", "eval_rewards/repetition/mean", "eval_rewards/repetition/std",
                "eval_frac_reward_zero_std", "eval_completions/mean_length", "eval_completions/clipped_ratio", "eval_kl", "eval_clip_ratio/region_mean",
                "eval_num_tokens")) {
            assertTrue(evals.getFirst().has(key), key + " in " + evals.getFirst());
            assertTrue(Double.isFinite(evals.getFirst().get(key).asDouble()), key);
        }
        double length = evals.getFirst().get("eval_completions/mean_length").asDouble();
        assertTrue(length >= 1 && length <= 4, "completions of 1..4 tokens: " + length);

        Path split = dir.resolve("split");
        assertEquals(0, Main.run(concat(common, "--output_dir", split.toString(), "--split_dataset_ratio", "0.5", "--eval_steps", "2",
                "--per_device_eval_batch_size", "2")));
        long rows = Files.readAllLines(onlyRun(split).resolve("logging.jsonl")).stream().filter(l -> l.contains("eval_reward")).count();
        assertEquals(1, rows, "one evaluation, at step 2, on the row set aside");
        assertFails("--per_device_eval_batch_size 3 counts completions: it must be a multiple of --num_generations 2",
                concat(common, "--output_dir", dir.resolve("x").toString(), "--val_dataset", val.toString(), "--per_device_eval_batch_size", "3"));
    }

    @Test
    void numIterationsReuseEachGenerationBatchAndDynamicSamplingRuns() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), out = dir.resolve("iter");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--output_dir", out.toString(),
                "--num_generations", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "4", "--reward_funcs", "repetition",
                "--num_iterations", "2", "--dynamic_sample", "--max_resample_times", "2", "--max_steps", "2", "--logging_steps", "1", "--save_steps", "0",
                "--lora_rank", "4", "--seed", "3", "--log_completions", "true"));
        Path run = onlyRun(out);
        ObjectMapper json = new ObjectMapper();
        List<String> log = Files.readAllLines(run.resolve("logging.jsonl"));
        assertEquals(2, log.size());
        assertTrue(json.readTree(log.get(0)).has("reward"), log.get(0));
        assertTrue(!json.readTree(log.get(1)).has("reward"), "step 2 reuses step 1's generation batch: its reward is not logged again (TRL) " + log.get(1));
        assertEquals(2 * 2, Files.readAllLines(run.resolve("completions.jsonl")).size(), "one generation batch: 2 prompts x 2 completions");
        JsonNode args = json.readTree(run.resolve("args.json").toFile());
        assertEquals(2, args.get("num_iterations").asInt());
        assertTrue(args.get("dynamic_sample").asBoolean());
        assertEquals(2, args.get("max_resample_times").asInt());
    }

    @Test
    void fullTrainingWithBetaComparesWithAFrozenCopyOfTheStartingModel() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), out = dir.resolve("full");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--output_dir", out.toString(),
                "--train_type", "full", "--beta", "0.04", "--num_generations", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "4",
                "--reward_funcs", "repetition", "--max_steps", "2", "--logging_steps", "1", "--save_steps", "0", "--learning_rate", "1e-2", "--seed", "4"));
        ObjectMapper json = new ObjectMapper();
        List<String> log = Files.readAllLines(onlyRun(out).resolve("logging.jsonl"));
        double k1 = json.readTree(log.get(0)).get("kl").asDouble(), k2 = json.readTree(log.get(1)).get("kl").asDouble();
        assertTrue(k1 < 1e-9, "step 1: the policy is the reference " + k1);
        assertTrue(k2 > 1e-9, "step 2: the updated policy drifts from the frozen starting model " + k2);
    }

    @Test
    void badGrpoFlagsFailWithClearMessages() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), out = dir.resolve("out");
        String[] base = {"rlhf", "--rlhf_type", "grpo", "--model", model.toString(), "--dataset", data().toString(), "--output_dir", out.toString()};
        // TRL 1.13 refuses a generation batch (batch x accumulation) that is not a multiple of num_generations
        assertFails("--per_device_train_batch_size 6 x --gradient_accumulation_steps 1 = 6 completions per optimizer step (TRL's generation batch) must be a multiple of --num_generations 4",
                concat(base, "--per_device_train_batch_size", "6", "--num_generations", "4", "--reward_funcs", "format"));
        assertFails("--per_device_train_batch_size 3 x --gradient_accumulation_steps 2 = 6 completions",
                concat(base, "--per_device_train_batch_size", "3", "--gradient_accumulation_steps", "2", "--num_generations", "4", "--reward_funcs", "format"));
        assertFails("unknown reward function 'nope'", concat(base, "--reward_funcs", "nope", "--num_generations", "2", "--per_device_train_batch_size", "2"));
        assertFails("--loss_type for grpo must be grpo, bnpo, dr_grpo or dapo", concat(base, "--loss_type", "sigmoid", "--reward_funcs", "format"));
        assertFails("--scale_rewards must be group, batch or none", concat(base, "--scale_rewards", "maybe", "--reward_funcs", "format"));
        assertFails("--ref_adapters gives the KL reference: it needs --beta > 0", concat(base, "--ref_adapters", dir.toString(), "--beta", "0", "--reward_funcs", "format",
                "--num_generations", "2", "--per_device_train_batch_size", "2"));
        assertFails("--num_iterations must be >= 1", concat(base, "--num_iterations", "0", "--reward_funcs", "format"));
        assertFails("--max_resample_times must be >= 0", concat(base, "--dynamic_sample", "--max_resample_times", "-1", "--reward_funcs", "format"));
    }

    private static void assertFails(String message, String[] args) {
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(1, Main.run(new java.io.PrintWriter(err, true), args));
        assertTrue(err.toString().contains(message), err.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
