package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** jswift tokenize against the ids HF tokenizers produced for the same corpus entries. */
class TokenizeCommandTest {
    private static final Path TOKENIZERS = Path.of("../models/src/test/resources/tokenizers").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void textAndFileGiveTheReferenceIds() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode cases = json.readTree(TOKENIZERS.resolve("expected_qwen3.json").toFile());
        JsonNode code = cases.get(10); // Python code with indentation and newlines
        Path in = dir.resolve("in.txt");
        Files.writeString(in, code.get("text").asText());
        Path out = dir.resolve("ids.json");
        assertEquals(0, Main.run("tokenize", "--model", TOKENIZERS.resolve("qwen3").toString(), "--file", in.toString(), "--output", out.toString()));
        assertEquals(code.get("ids"), json.readTree(out.toFile()).get("input_ids"));
        JsonNode zh = cases.get(5);
        assertEquals(0, Main.run("tokenize", "--model", TOKENIZERS.resolve("qwen3").toString(), "--text", zh.get("text").asText(), "--output", out.toString()));
        assertEquals(zh.get("ids"), json.readTree(out.toFile()).get("input_ids"));
    }
}
