package io.jswift.models.config;

import java.io.IOException;
import java.nio.file.Path;

/** A parsed config.json: exactly one of the family configs. */
public sealed interface ModelConfig permits ModelConfig.Decoder, ModelConfig.Vit {
    record Decoder(DecoderConfig config) implements ModelConfig {}

    record Vit(VitConfig config) implements ModelConfig {}

    /** Reads {@code dir/config.json} and dispatches on its first `architectures` entry. */
    static ModelConfig read(Path dir) throws IOException {
        return readFile(dir.resolve("config.json"));
    }

    /** Reads one config.json-format file (any name) and dispatches on its first `architectures` entry. */
    static ModelConfig readFile(Path file) throws IOException {
        ConfigJson c = ConfigJson.read(file);
        var archs = c.root().get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw new IllegalArgumentException(c.file() + ": missing key 'architectures' (a list such as [\"LlamaForCausalLM\"])");
        }
        Architecture a = Architecture.fromHf(archs.get(0).asText(), c.file());
        return switch (a.family()) {
            case DECODER -> new Decoder(DecoderConfig.parse(a, c));
            case VIT -> new Vit(VitConfig.parse(a, c));
        };
    }
}
