package io.jswift.cli;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * template / logits / infer with images on the tiny Qwen2-VL (tools/fixtures/qwen2vl_model_fixtures.py): the
 * processor's expanded ids, the model's logits and greedy reply as transformers computed them; ms-swift's {@code <image>}
 * tags with --images; clear errors for missing or undecodable images and for images given to a text-only model.
 */
class VisionCommandsTest {
    private static final Path RES = Path.of("../models/src/test/resources").toAbsolutePath().normalize();
    private static final Path MODEL = RES.resolve("models/qwen2-vl-f32");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Conversation {@code n} of chat_messages.json in a file of its own, its image paths still relative to that file. */
    private Path conversation(int n) throws Exception {
        JsonNode conv = JSON.readTree(MODEL.resolve("chat_messages.json").toFile()).get(n);
        // image paths are relative to the messages file (../../images/X): put the file where they hold
        Path sub = Files.createDirectories(dir.resolve("a/b"));
        Files.createDirectories(dir.resolve("images"));
        for (String img : new String[]{"grid28x42.png", "rgb8_pil.png"}) Files.copy(RES.resolve("images/" + img), dir.resolve("images/" + img));
        Path out = sub.resolve("messages.json");
        ObjectNode root = JSON.createObjectNode();
        root.set("messages", conv);
        JSON.writeValue(out.toFile(), root);
        return out;
    }

    @Test
    void templateExpandsEachImageLikeTheProcessor() throws Exception {
        JsonNode expected = JSON.readTree(MODEL.resolve("expected_chat.json").toFile()).get(1);
        Path out = dir.resolve("out.json");
        assertEquals(0, Main.run("template", "--model", MODEL.toString(), "--messages", conversation(1).toString(), "--add_generation_prompt",
                "--output", out.toString()));
        JsonNode result = JSON.readTree(out.toFile());
        assertEquals(expected.get("text").asText(), result.get("text").asText());
        assertEquals(expected.get("input_ids"), result.get("input_ids"));
    }

    @Test
    void logitsOfAConversationWithImagesMatchTransformers() throws Exception {
        Path out = dir.resolve("logits.safetensors");
        assertEquals(0, Main.run("logits", "--model", MODEL.toString(), "--messages", conversation(1).toString(), "--output", out.toString()));
        SafetensorsFile exp = SafetensorsFile.open(MODEL.resolve("expected.safetensors"));
        var expected = exp.tensor("logits.chat.1");
        var got = SafetensorsFile.open(out).tensor("logits");
        assertTrue(relL2(got, expected.reshape(expected.size(1), expected.size(2))) < 1e-4);
    }

    /** ms-swift rows: a string content with an <image> tag and the "images" column. */
    @Test
    void logitsReadSwiftImageTagsAndTheImagesColumn() throws Exception {
        Path file = dir.resolve("row.json");
        Files.copy(RES.resolve("images/grid28x42.png"), dir.resolve("g.png"));
        Files.writeString(file, "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>What is in the picture?\"}], \"images\": [\"g.png\"]}");
        Path out = dir.resolve("logits.safetensors");
        assertEquals(0, Main.run("logits", "--model", MODEL.toString(), "--messages", file.toString(), "--output", out.toString()));
        var expected = SafetensorsFile.open(MODEL.resolve("expected.safetensors")).tensor("logits.chat.0");
        assertTrue(relL2(SafetensorsFile.open(out).tensor("logits"), expected.reshape(expected.size(1), expected.size(2))) < 1e-4);
    }

    @Test
    void inferWithImagesAnswersAsTransformersGreedy() throws Exception {
        long[] greedy = SafetensorsFile.open(MODEL.resolve("expected.safetensors")).tensor("greedy.chat.0").toLongArray();
        int eos = 258; // <|im_end|>: transformers generated past it, infer stops there
        int[] reply = Arrays.stream(greedy).mapToInt(v -> (int) v).takeWhile(t -> t != eos).toArray();
        String expected = Tokenizer.fromDirectory(MODEL).decode(reply, true);
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("infer", "--model", MODEL.toString(), "--prompt", "<image>What is in the picture?", "--images",
                    RES.resolve("images/grid28x42.png").toString(), "--max_new_tokens", "6", "--temperature", "0");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        assertEquals(expected + System.lineSeparator(), captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badImagesAreOneClearLine() throws Exception {
        Path missing = dir.resolve("row.json");
        Files.writeString(missing, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\", \"image\": \"nope.png\"}]}]}");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), "logits", "--model", MODEL.toString(), "--messages", missing.toString(),
                "--output", dir.resolve("o.safetensors").toString());
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().startsWith("logits: error: " + dir.resolve("nope.png") + ": image file does not exist"), err.toString());

        err = new StringWriter();
        code = Main.run(new PrintWriter(err, true), "template", "--model", MODEL.toString(), "--messages", missing.toString(), "--images",
                RES.resolve("images/bad_truncated.png").toString(), "--output", dir.resolve("o.json").toString());
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().startsWith("template: error: " + RES.resolve("images/bad_truncated.png") + ": "), err.toString());

        err = new StringWriter();
        code = Main.run(new PrintWriter(err, true), "infer", "--model", RES.resolve("models/qwen2-f32").toString(), "--prompt", "hi",
                "--images", RES.resolve("images/grid28x42.png").toString());
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().contains("--images: Qwen2ForCausalLM is a text-only model"), err.toString());
    }

    /**
     * sft on ms-swift image rows (train/src/test/resources/vl-sft, whose loss and gradients VisionSftGoldenTest checks
     * against transformers): LoRA adapts the language model only and saves PEFT's keys with ms-swift's target_modules regex; full training leaves the vision
     * tower and merger as they were and writes the hub's names; a missing image fails as file:line.
     */
    @Test
    void sftOnImageRowsTrainsTheLanguageModel() throws Exception {
        Path data = Path.of("../train/src/test/resources/vl-sft/dataset.jsonl").toAbsolutePath().normalize();
        Path lora = dir.resolve("lora"), full = dir.resolve("full");
        assertEquals(0, Main.run("sft", "--model", MODEL.toString(), "--dataset", data.toString(), "--output_dir", lora.toString(),
                "--max_steps", "2", "--save_steps", "0", "--per_device_train_batch_size", "2", "--lora_rank", "4", "--seed", "3"));
        Path ckpt;
        try (var runs = Files.list(lora)) { ckpt = runs.findFirst().orElseThrow().resolve("checkpoint-2"); }
        SafetensorsFile adapter = SafetensorsFile.open(ckpt.resolve("adapter_model.safetensors"));
        assertEquals(28, adapter.names().size(), adapter.names().toString()); // A and B of 7 linears in 2 layers
        assertTrue(adapter.names().stream().allMatch(n -> n.startsWith("base_model.model.model.language_model.layers.")), adapter.names().toString());
        JsonNode targets = JSON.readTree(ckpt.resolve("adapter_config.json").toFile()).get("target_modules");
        // ms-swift's get_multimodal_target_regex for the default freeze flags (the language model's linears only)
        assertEquals("^(model\\.language_model(?=\\.).*\\.(down_proj|gate_proj|k_proj|o_proj|q_proj|up_proj|v_proj))$", targets.asText());

        assertEquals(0, Main.run("sft", "--model", MODEL.toString(), "--dataset", data.toString(), "--output_dir", full.toString(),
                "--train_type", "full", "--max_steps", "1", "--save_steps", "0", "--per_device_train_batch_size", "3", "--seed", "3"));
        try (var runs = Files.list(full)) { ckpt = runs.findFirst().orElseThrow().resolve("checkpoint-1"); }
        SafetensorsFile base = SafetensorsFile.open(MODEL.resolve("model.safetensors")), trained = SafetensorsFile.open(ckpt.resolve("model.safetensors"));
        assertEquals(new java.util.TreeSet<>(base.names()), new java.util.TreeSet<>(trained.names()), "the hub's tensor names");
        for (String n : base.names()) {
            boolean same = Arrays.equals(base.tensor(n).toFloatArray(), trained.tensor(n).toFloatArray());
            if (n.startsWith("visual.")) assertTrue(same, n + " is frozen");
        }
        assertTrue(!Arrays.equals(base.tensor("model.layers.0.self_attn.q_proj.weight").toFloatArray(),
                trained.tensor("model.layers.0.self_attn.q_proj.weight").toFloatArray()), "the language model trains");

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}], "
                + "\"images\": [\"missing.png\"]}\n");
        StringWriter err = new StringWriter();
        assertEquals(1, Main.run(new PrintWriter(err, true), "sft", "--model", MODEL.toString(), "--dataset", bad.toString(), "--output_dir",
                dir.resolve("bad").toString(), "--max_steps", "1"));
        assertTrue(err.toString().contains(bad + ":1: ") && err.toString().contains("missing.png"), err.toString());
    }
}
