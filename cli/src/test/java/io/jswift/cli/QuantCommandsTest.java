package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ms-swift's quantization flags: quantize at load (logits, sft: QLoRA) and export to a bnb-4bit directory. */
class QuantCommandsTest {
    private static final String IDS = "1,17,42,99,5";

    @TempDir
    Path dir;

    @Test
    void exportedBnb4bitModelGivesTheLogitsOfQuantizingAtLoad() throws Exception {
        Path model = dir.resolve("llama");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(TinyModels.MODELS.resolve("llama-f32").resolve(f), model.resolve(f));
        assertEquals(0, Main.run("export", "--model", model.toString(), "--quant_method", "bnb", "--quant_bits", "4"));
        Path out = dir.resolve("llama-bnb-int4"); // ms-swift's default name
        JsonNode q = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("nf4", q.get("bnb_4bit_quant_type").asText());
        assertTrue(q.get("bnb_4bit_use_double_quant").asBoolean());
        assertEquals("float32", q.get("bnb_4bit_compute_dtype").asText(), "compute dtype defaults to the model's dtype");
        assertTrue(SafetensorsFile.open(out.resolve("model.safetensors")).contains("model.layers.0.mlp.up_proj.weight.quant_state.bitsandbytes__nf4"));

        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        assertEquals(0, Main.run("logits", "--model", out.toString(), "--input_ids", IDS, "--output", a.toString()));
        assertEquals(0, Main.run("logits", "--model", model.toString(), "--quant_method", "bnb", "--quant_bits", "4", "--input_ids", IDS,
                "--output", b.toString()));
        assertTrue(relL2(SafetensorsFile.open(a).tensor("logits"), SafetensorsFile.open(b).tensor("logits")) < 1e-6);

        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "export", "--model", model.toString(), "--quant_method", "bnb", "--quant_bits", "4"));
        assertTrue(err.toString().contains("not empty"), err.toString());
    }

    @Test
    void fp4WithoutDoubleQuantIsWhatTheFlagsSay() throws Exception {
        Path out = dir.resolve("fp4");
        assertEquals(0, Main.run("export", "--model", TinyModels.MODELS.resolve("llama-f32").toString(), "--quant_method", "bnb", "--quant_bits", "4",
                "--bnb_4bit_quant_type", "fp4", "--bnb_4bit_use_double_quant", "false", "--bnb_4bit_compute_dtype", "bfloat16", "--output_dir", out.toString()));
        JsonNode q = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("quantization_config");
        assertEquals("fp4", q.get("bnb_4bit_quant_type").asText());
        assertEquals(false, q.get("bnb_4bit_use_double_quant").asBoolean());
        assertEquals("bfloat16", q.get("bnb_4bit_compute_dtype").asText());
        SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"));
        assertTrue(f.contains("model.layers.0.self_attn.q_proj.weight.quant_state.bitsandbytes__fp4"));
        assertEquals("F32", f.info("model.layers.0.self_attn.q_proj.weight.absmax").dtype().safetensorsName(), "plain absmax is float32");
        assertEquals(0, Main.run("logits", "--model", out.toString(), "--input_ids", IDS, "--output", dir.resolve("l.safetensors").toString()));
    }

    @Test
    void qloraSftTrainsAnAdapterOnA4bitBase() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), data = dir.resolve("d.jsonl"), out = dir.resolve("run");
        StringBuilder rows = new StringBuilder();
        for (String q : new String[]{"hi", "who are you?", "name?", "hello"}) {
            rows.append("{\"messages\": [{\"role\": \"user\", \"content\": \"").append(q).append("\"}, {\"role\": \"assistant\", \"content\": \"I am Bo.\"}]}\n");
        }
        Files.writeString(data, rows);
        assertEquals(0, Main.run("sft", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(), "--quant_method", "bnb",
                "--quant_bits", "4", "--max_steps", "3", "--save_steps", "3", "--lora_rank", "4", "--learning_rate", "1e-2", "--seed", "1"));
        try (Stream<Path> runs = Files.list(out)) {
            Path run = runs.findFirst().orElseThrow();
            assertTrue(Files.exists(run.resolve("checkpoint-3/adapter_model.safetensors")), "a PEFT adapter, trained on the 4-bit base");
        }
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "sft", "--model", model.toString(), "--dataset", data.toString(), "--output_dir",
                dir.resolve("full").toString(), "--train_type", "full", "--quant_method", "bnb", "--quant_bits", "4", "--max_steps", "1"));
        assertTrue(err.toString().contains("QLoRA"), err.toString());

        // the QLoRA adapter merges into the full-precision base (ms-swift refuses a quantized one)
        Path ckpt;
        try (Stream<Path> runs = Files.list(out)) {
            ckpt = runs.findFirst().orElseThrow().resolve("checkpoint-3");
        }
        assertEquals(0, Main.run("export", "--model", model.toString(), "--adapters", ckpt.toString(), "--merge_lora", "true",
                "--output_dir", dir.resolve("merged").toString()));
        Path quantized = dir.resolve("q");
        assertEquals(0, Main.run("export", "--model", model.toString(), "--quant_method", "bnb", "--quant_bits", "4", "--output_dir", quantized.toString()));
        err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "export", "--model", quantized.toString(), "--adapters", ckpt.toString(),
                "--merge_lora", "true", "--output_dir", dir.resolve("m2").toString()));
        assertTrue(err.toString().contains("bitsandbytes 4-bit model: merging an adapter into quantized weights is not supported"), err.toString());
    }

    /** rlhf shares sft's tuner options: DPO with LoRA on a 4-bit base (the reference = the same model, adapters disabled). */
    @Test
    void qloraDpoTrainsAnAdapterOnA4bitBase() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir), data = dir.resolve("pref.jsonl"), out = dir.resolve("dpo");
        Files.writeString(data, "{\"prompt\": \"hi\", \"chosen\": \"hello\", \"rejected\": \"go away\"}\n"
                + "{\"prompt\": \"name?\", \"chosen\": \"bo\", \"rejected\": \"none\"}\n");
        assertEquals(0, Main.run("rlhf", "--rlhf_type", "dpo", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                "--quant_method", "bnb", "--quant_bits", "4", "--max_steps", "2", "--save_steps", "2", "--lora_rank", "4", "--seed", "1"));
        try (Stream<Path> runs = Files.list(out)) {
            Path run = runs.findFirst().orElseThrow();
            assertTrue(Files.exists(run.resolve("checkpoint-2/adapter_model.safetensors")), "a PEFT adapter, trained by DPO on the 4-bit base");
        }
    }

    @Test
    void deployServesAModelQuantizedAtLoad() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        URI base = InProcessDeploy.start("--model", model.toString(), "--quant_method", "bnb", "--quant_bits", "4",
                "--bnb_4bit_quant_type", "fp4", "--max_num_seqs", "2", "--max_model_len", "64", "--max_new_tokens", "4");
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny-with-tokenizer\", \"temperature\": 0, \"ignore_eos\": true, \"messages\": [{\"role\": \"user\", "
                        + "\"content\": \"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(4, new ObjectMapper().readTree(r.body()).at("/usage/completion_tokens").asInt());
    }

    @Test
    void unsupportedQuantizationIsOneClearLine() {
        String model = TinyModels.MODELS.resolve("llama-f32").toString(), out = dir.resolve("o.safetensors").toString();
        assertError("--quant_bits 8 is not supported with bnb", "logits", "--model", model, "--input_ids", IDS, "--output", out, "--quant_method", "bnb", "--quant_bits", "8");
        assertError("--quant_method awq is not supported", "logits", "--model", model, "--input_ids", IDS, "--output", out, "--quant_method", "awq", "--quant_bits", "4");
        assertError("--bnb_4bit_quant_type must be nf4 or fp4, got 'int4'", "logits", "--model", model, "--input_ids", IDS, "--output", out,
                "--quant_method", "bnb", "--quant_bits", "4", "--bnb_4bit_quant_type", "int4");
        assertError("--quant_method bnb needs --quant_bits 4", "logits", "--model", model, "--input_ids", IDS, "--output", out, "--quant_method", "bnb");
    }

    private static void assertError(String message, String... args) {
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), args));
        assertTrue(err.toString().contains(message) && !err.toString().contains("\tat "), err.toString());
    }
}
