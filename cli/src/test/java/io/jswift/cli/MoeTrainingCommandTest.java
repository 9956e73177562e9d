package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training a MoE model from the command line: {@code --router_aux_loss_coef} adds transformers' load-balancing loss (the
 * fixture of tools/fixtures/make_moe_models.py: a padded batch of two rows), and a full checkpoint is written with the
 * experts one tensor each, as save_pretrained writes them.
 */
class MoeTrainingCommandTest {
    private static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static Path onlyRun(Path output) throws Exception {
        try (Stream<Path> s = Files.list(output)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    /** One SGD step on CE + 0.02 · aux moves every weight by -lr × the gradient transformers computed for that loss. */
    @Test
    void routerAuxLossStepEqualsTransformers() throws Exception {
        Path model = MODELS.resolve("qwen2-moe-f32");
        SafetensorsFile exp = SafetensorsFile.open(model.resolve("aux_expected.safetensors"));
        long[] ids = exp.tensor("input_ids").toLongArray();
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": " + Arrays.toString(Arrays.copyOfRange(ids, 0, 13)) + "}\n"
                + "{\"input_ids\": " + Arrays.toString(Arrays.copyOfRange(ids, 13, 22)) + "}\n");
        Path out = dir.resolve("out");
        double lr = 0.1;
        int code = Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--optim", "sgd", "--learning_rate", Double.toString(lr), "--lr_scheduler_type", "constant", "--weight_decay", "0",
                "--max_grad_norm", "0", "--max_steps", "1", "--logging_steps", "1", "--per_device_train_batch_size", "2",
                "--router_aux_loss_coef", Double.toString(exp.tensor("aux_coef").item()));
        assertEquals(0, code);
        Path run = onlyRun(out);
        JsonNode log = new ObjectMapper().readTree(Files.readAllLines(run.resolve("logging.jsonl")).get(0));
        assertEquals(exp.tensor("loss").item(), log.get("loss").asDouble(), 1e-4, "CE + coef · aux");
        assertEquals(exp.tensor("aux_loss").item(), log.get("aux_loss").asDouble(), 1e-5, "aux_loss");
        assertEquals(0.02, new ObjectMapper().readTree(run.resolve("args.json").toFile()).get("router_aux_loss_coef").asDouble());

        Path ckpt = run.resolve("checkpoint-1");
        assertEquals(new TreeSet<>(SafetensorsFile.open(model.resolve("model.safetensors")).names()),
                new TreeSet<>(SafetensorsFile.open(ckpt.resolve("model.safetensors")).names()), "experts one tensor each, as transformers");
        Map<String, Parameter> base = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model().namedParameters();
        Map<String, Parameter> trained = ((LoadedModel.CausalLm) ModelLoader.load(ckpt, false)).model().namedParameters();
        for (String p : base.keySet()) {
            double[] w0 = base.get(p).value().toDoubleArray(), w1 = trained.get(p).value().toDoubleArray(), g = exp.tensor("grad." + p).toDoubleArray();
            double maxStep = 0;
            for (double v : g) maxStep = Math.max(maxStep, Math.abs(lr * v));
            for (int i = 0; i < w0.length; i++) assertEquals(w0[i] - lr * g[i], w1[i], 1e-6 + 2e-4 * maxStep, p + "[" + i + "]");
        }
    }

    /** Without the flag the aux loss is not added, whatever config.json says (ms-swift sets the model's coefficient to 0). */
    @Test
    void noAuxLossByDefault() throws Exception {
        Path model = MODELS.resolve("qwen2-moe-f32");
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 17, 42, 99, 5, 63]}\n");
        Path out = dir.resolve("out");
        assertEquals(0, Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--optim", "sgd", "--max_steps", "1", "--logging_steps", "1", "--save_steps", "0"));
        JsonNode log = new ObjectMapper().readTree(Files.readAllLines(onlyRun(out).resolve("logging.jsonl")).get(0));
        assertTrue(log.get("aux_loss") == null, log.toString());
    }

    /**
     * ms-swift's all-linear on Mixtral is the list of its linear layers, the attention projections, which PEFT 0.21 leaves
     * as they are: the adapter saves that list (PEFT would widen the string "all-linear" to the experts when loading).
     */
    @Test
    void allLinearLoraOnMixtralSavesMsSwiftsList() throws Exception {
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 17, 42, 99, 5, 63]}\n");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), "sft", "--model", MODELS.resolve("mixtral-f32").toString(), "--dataset", data.toString(),
                "--output_dir", dir.resolve("out").toString(), "--train_type", "lora", "--target_modules", "all-linear", "--max_steps", "1");
        assertEquals(0, code, err.toString());
        JsonNode config = new ObjectMapper().readTree(onlyRun(dir.resolve("out")).resolve("checkpoint-1/adapter_config.json").toFile());
        Set<String> targets = new TreeSet<>(); // a set, as PEFT keeps it: its order in the file carries nothing
        config.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertEquals(Set.of("k_proj", "o_proj", "q_proj", "v_proj"), targets);
        assertTrue(config.get("target_parameters") == null, config.toString());
    }

    /**
     * `jswift pt` on Qwen3-Next (tools/fixtures/make_qwen3next_models.py, 70 tokens: two chunks of the delta rule): one SGD
     * step moves every weight by -lr × transformers' gradient; the experts are written back one tensor each, mtp.* not at all.
     */
    @Test
    void qwen3NextSgdStepEqualsTransformers() throws Exception {
        Path model = MODELS.resolve("qwen3-next-f32");
        SafetensorsFile expected = SafetensorsFile.open(model.resolve("expected.safetensors"));
        Path data = dir.resolve("q3n.jsonl");
        Files.writeString(data, "{\"input_ids\": " + Arrays.toString(expected.tensor("input_ids").toLongArray()) + "}\n");
        Path out = dir.resolve("q3n");
        double lr = 0.1;
        assertEquals(0, Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--optim", "sgd", "--learning_rate", Double.toString(lr), "--lr_scheduler_type", "constant", "--weight_decay", "0",
                "--max_grad_norm", "0", "--max_steps", "1", "--logging_steps", "1"));
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"));
        SafetensorsFile trained = SafetensorsFile.open(onlyRun(out).resolve("checkpoint-1/model.safetensors"));
        assertEquals(base.names().stream().filter(n -> !n.startsWith("mtp.")).count(), trained.names().size());
        int compared = 0;
        for (String p : trained.names()) {
            if (!expected.contains("grad." + p)) { // per-expert tensors; the golden gradients are the fused parameters'
                assertTrue(p.contains(".mlp.experts."), p);
                continue;
            }
            double[] w0 = base.tensor(p).toDoubleArray(), w1 = trained.tensor(p).toDoubleArray(), g = expected.tensor("grad." + p).toDoubleArray();
            double maxStep = 0;
            for (double v : g) maxStep = Math.max(maxStep, Math.abs(lr * v));
            for (int i = 0; i < w0.length; i++) assertEquals(w0[i] - lr * g[i], w1[i], 1e-6 + 2e-4 * maxStep, p + "[" + i + "]");
            compared++;
        }
        assertTrue(compared > 40, "compared " + compared);
    }
}
