package io.jswift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test model directories: a transformers-written tiny Llama plus a byte-level tokenizer whose ids fit it. */
final class TinyModels {
    static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    private TinyModels() {}

    /** printable ASCII → ids 0..93, 'Ġ' (space) → 94, 'Ċ' (newline) → 95, "<eos>" → 127; a plain "role: content" chat template. */
    static Path llamaWithTinyTokenizer(Path dir) throws Exception {
        Path model = dir.resolve("tiny-with-tokenizer");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(MODELS.resolve("llama-f32").resolve(f), model.resolve(f));
        ObjectMapper json = new ObjectMapper();
        StringBuilder vocab = new StringBuilder();
        int id = 0;
        for (char c = '!'; c <= '~'; c++) vocab.append(id == 0 ? "" : ", ").append(json.writeValueAsString(String.valueOf(c))).append(": ").append(id++);
        vocab.append(", \"\\u0120\": ").append(id++).append(", \"\\u010a\": ").append(id); // space, newline
        Files.writeString(model.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": []},"
                + " \"added_tokens\": [{\"id\": 127, \"content\": \"<eos>\", \"special\": true}],"
                + " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true},"
                + " \"decoder\": {\"type\": \"ByteLevel\"}}");
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(java.util.Map.of("eos_token", "<eos>",
                "chat_template", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")));
        return model;
    }
}
