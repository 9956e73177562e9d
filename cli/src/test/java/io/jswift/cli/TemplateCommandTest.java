package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jswift template against transformers' apply_chat_template output for the real Qwen3 files. */
class TemplateCommandTest {
    private static final Path RES = Path.of("../models/src/test/resources").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void rendersAndTokenizesLikeTransformers() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode conv = json.readTree(RES.resolve("chat/conversations.json").toFile()).get(4); // thinking history
        JsonNode expected = json.readTree(RES.resolve("chat/expected_qwen3.json").toFile()).get(4);
        Path messages = dir.resolve("messages.json");
        json.writeValue(messages.toFile(), json.createObjectNode().set("messages", conv.get("messages")));
        Path out = dir.resolve("out.json");
        assertEquals(0, Main.run("template", "--model", RES.resolve("tokenizers/qwen3").toString(), "--messages", messages.toString(),
                "--add_generation_prompt", "--output", out.toString()));
        JsonNode result = json.readTree(out.toFile());
        assertEquals(expected.get("text").asText(), result.get("text").asText());
        int[] ids = json.convertValue(result.get("input_ids"), int[].class);
        assertArrayEquals(Tokenizer.fromDirectory(RES.resolve("tokenizers/qwen3")).encode(expected.get("text").asText(), false), ids);
        assertEquals(151644, ids[0]); // <|im_start|> matched as an added token
    }

    @Test
    void malformedMessagesFileIsOneClearLine() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[{\"role\": \"user\", \"content\": \"x\"}");
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), "template", "--model", RES.resolve("tokenizers/qwen3").toString(), "--messages", bad.toString(),
                "--output", dir.resolve("o.json").toString());
        assertEquals(ErrorReporter.EXIT_ERROR, code);
        assertTrue(err.toString().startsWith("template: error: " + bad + ": not valid JSON"), err.toString());
    }
}
