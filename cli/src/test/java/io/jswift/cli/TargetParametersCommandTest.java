package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --target_parameters} (ms-swift's flag, PEFT's target_parameters) on the tiny Qwen3-MoE: the checkpoint holds
 * PEFT's keys and config, all-linear adapts the fused experts as ms-swift + PEFT 0.21 do, bad names and dropout fail in
 * one line, and {@code export --merge_lora} folds a PEFT-written expert adapter into the experts as PEFT's
 * merge_and_unload (tools/fixtures/peft_target_parameters_fixtures.py).
 */
class TargetParametersCommandTest {
    private static final Path RESOURCES = Path.of("../models/src/test/resources").toAbsolutePath().normalize();
    private static final Path MODEL = RESOURCES.resolve("models/qwen3-moe-f32");

    @TempDir
    Path dir;

    private int sft(StringWriter err, String... extra) throws Exception {
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 17, 42, 99, 5, 63, 120, 7]}\n");
        List<String> args = new ArrayList<>(List.of("sft", "--model", MODEL.toString(), "--dataset", data.toString(),
                "--output_dir", dir.resolve("out").toString(), "--train_type", "lora", "--lora_rank", "2", "--lora_alpha", "6",
                "--max_steps", "1", "--learning_rate", "0.1"));
        args.addAll(List.of(extra));
        return Main.run(new PrintWriter(err, true), args.toArray(String[]::new));
    }

    private Path checkpoint() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("out"))) {
            return s.findFirst().orElseThrow().resolve("checkpoint-1");
        }
    }

    @Test
    void expertAdapterIsSavedUnderPeftsKeysAndTrains() throws Exception {
        StringWriter err = new StringWriter();
        int code = sft(err, "--lora_dropout", "0", "--target_modules", "q_proj", "--target_parameters", "mlp.experts.gate_up_proj",
                "mlp.experts.down_proj");
        assertEquals(0, code, err.toString());
        Map<String, Tensor> ours = SafetensorsFile.open(checkpoint().resolve("adapter_model.safetensors")).tensors();
        Map<String, Tensor> peft = SafetensorsFile.open(RESOURCES.resolve("peft-target-parameters/qwen3-moe/both/adapter_model.safetensors")).tensors();
        assertEquals(new TreeSet<>(peft.keySet()), new TreeSet<>(ours.keySet()));
        for (var e : peft.entrySet()) assertEquals(Arrays.toString(e.getValue().shape()), Arrays.toString(ours.get(e.getKey()).shape()), e.getKey());
        // one step from B = 0 moves B only (A's gradient is zero while B is zero)
        Tensor b = ours.get("base_model.model.model.layers.1.mlp.experts.lora_B.weight");
        assertTrue(Arrays.stream(b.toDoubleArray()).anyMatch(v -> v != 0), "B moved");
        JsonNode config = new ObjectMapper().readTree(checkpoint().resolve("adapter_config.json").toFile());
        assertEquals("[\"mlp.experts.gate_up_proj\",\"mlp.experts.down_proj\"]", config.get("target_parameters").toString());
        JsonNode args = new ObjectMapper().readTree(checkpoint().getParent().resolve("args.json").toFile());
        assertEquals("[\"mlp.experts.gate_up_proj\",\"mlp.experts.down_proj\"]", args.get("target_parameters").toString());
    }

    @Test
    void allLinearAdaptsTheFusedExpertsAsMsSwiftAndPeft() throws Exception {
        StringWriter err = new StringWriter();
        assertNotEquals(0, sft(err));
        assertTrue(err.toString().contains("--target_modules all-linear on Qwen3MoeForCausalLM: PEFT 0.21 adapts the fused experts'")
                && err.toString().contains("pass --lora_dropout 0"), err.toString());
        assertEquals(0, sft(err, "--lora_dropout", "0"), err.toString());
        Map<String, Tensor> ours = SafetensorsFile.open(checkpoint().resolve("adapter_model.safetensors")).tensors();
        Map<String, Tensor> peft = SafetensorsFile.open(RESOURCES.resolve("peft-target-parameters/qwen3-moe/all-linear/adapter_model.safetensors")).tensors();
        assertEquals(new TreeSet<>(peft.keySet()), new TreeSet<>(ours.keySet()));
        JsonNode config = new ObjectMapper().readTree(checkpoint().resolve("adapter_config.json").toFile());
        assertEquals("{\".*\\\\.gate_up_proj\":4}", config.get("rank_pattern").toString());
        assertEquals("{\".*\\\\.gate_up_proj\":12}", config.get("alpha_pattern").toString());
    }

    @Test
    void badTargetParametersFailInOneLine() throws Exception {
        StringWriter err = new StringWriter();
        assertNotEquals(0, sft(err, "--lora_dropout", "0", "--target_modules", "q_proj", "--target_parameters", "mlp.experts.w1"));
        assertTrue(err.toString().contains("target_parameters: 'mlp.experts.w1' matches no parameter of the model; fused expert parameters here: "
                + "experts.gate_up_proj, experts.down_proj"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, sft(err, "--lora_dropout", "0", "--target_modules", "q_proj", "--target_parameters", "mlp.gate.weight"));
        assertTrue(err.toString().contains("model.layers.1.mlp.gate.weight has shape [6, 64], not 3-D"), err.toString());
        err = new StringWriter();
        assertNotEquals(0, sft(err, "--target_modules", "q_proj", "--target_parameters", "down_proj"));
        assertTrue(err.toString().contains("target_parameters needs lora_dropout 0 (got 0.05)"), err.toString());
    }

    @Test
    void exportMergesPeftsExpertAdapterAsMergeAndUnload() throws Exception {
        Path fixture = RESOURCES.resolve("peft-target-parameters/qwen3-moe");
        Path out = dir.resolve("merged");
        assertEquals(0, Main.run("export", "--model", MODEL.toString(), "--adapters", fixture.resolve("both").toString(), "--merge_lora", "true",
                "--output_dir", out.toString()));
        var merged = ((LoadedModel.CausalLm) ModelLoader.load(out, false)).model().namedParameters();
        SafetensorsFile exp = SafetensorsFile.open(fixture.resolve("expected.safetensors"));
        for (String key : List.of("model.layers.1.mlp.experts.gate_up_proj", "model.layers.1.mlp.experts.down_proj")) {
            double err = relL2(merged.get(key).value(), exp.tensor("merged." + key));
            assertTrue(err < 1e-6, key + " rel. L2 error " + err);
        }
    }
}
