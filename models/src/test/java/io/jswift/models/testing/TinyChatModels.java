package io.jswift.models.testing;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test model directories that chat: the transformers-written tiny Llama (vocabulary 128) plus a byte-level tokenizer
 * whose ids fit it. Shared with other modules' tests through this module's test-jar.
 */
public final class TinyChatModels {
    private TinyChatModels() {}

    /** A checkpoint directory under src/test/resources/models ("llama-f32", "qwen3-f32", ...). */
    public static Path checkpoint(String name) {
        try {
            return Path.of(TinyChatModels.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** printable ASCII → ids 0..93, 'Ġ' (space) → 94, 'Ċ' (newline) → 95, "<eos>" → 127; a plain "role: content" chat template. */
    public static Path llamaWithTinyTokenizer(Path dir) throws IOException {
        return withTinyTokenizer(dir, "llama-f32");
    }

    /** The weights of {@link #checkpoint}({@code name}) (a vocabulary of 128) with the tokenizer of {@link #llamaWithTinyTokenizer}. */
    public static Path withTinyTokenizer(Path dir, String name) throws IOException {
        Path model = dir.resolve(name.equals("llama-f32") ? "tiny-with-tokenizer" : name + "-with-tokenizer");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(checkpoint(name).resolve(f), model.resolve(f));
        ObjectMapper json = new ObjectMapper();
        StringBuilder vocab = new StringBuilder();
        int id = 0;
        for (char c = '!'; c <= '~'; c++) vocab.append(id == 0 ? "" : ", ").append(json.writeValueAsString(String.valueOf(c))).append(": ").append(id++);
        vocab.append(", \"\\u0120\": ").append(id++).append(", \"\\u010a\": ").append(id); // space, newline
        Files.writeString(model.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": []},"
                + " \"added_tokens\": [{\"id\": 127, \"content\": \"<eos>\", \"special\": true}],"
                + " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true},"
                + " \"decoder\": {\"type\": \"ByteLevel\"}}");
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")));
        return model;
    }
}
