package io.jswift.train.encode;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The real Qwen3 / Llama 3 tokenizer and chat template files of the models module's test resources, loaded once. */
final class ModelFiles {
    record Loaded(Tokenizer tokenizer, ChatTemplate template) {}

    private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

    private ModelFiles() {}

    static Path tokenizerDir(String name) {
        return Path.of("../models/src/test/resources/tokenizers", name).toAbsolutePath().normalize();
    }

    static Path model(String name) {
        return Path.of("../models/src/test/resources/models", name).toAbsolutePath().normalize();
    }

    static Loaded load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try {
                return new Loaded(Tokenizer.fromDirectory(tokenizerDir(n)), ChatTemplate.fromDirectory(tokenizerDir(n)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static Tokenizer tokenizer(String name) { return load(name).tokenizer(); }

    static ChatTemplate template(String name) { return load(name).template(); }
}
