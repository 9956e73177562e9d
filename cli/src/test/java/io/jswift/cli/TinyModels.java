package io.jswift.cli;

import io.jswift.models.testing.TinyChatModels;

import java.nio.file.Path;

/** Test model directories: a transformers-written tiny Llama plus a byte-level tokenizer whose ids fit it. */
final class TinyModels {
    static final Path MODELS = Path.of("../models/src/test/resources/models").toAbsolutePath().normalize();

    private TinyModels() {}

    /** printable ASCII → ids 0..93, 'Ġ' (space) → 94, 'Ċ' (newline) → 95, "<eos>" → 127; a plain "role: content" chat template. */
    static Path llamaWithTinyTokenizer(Path dir) throws Exception {
        return TinyChatModels.llamaWithTinyTokenizer(dir);
    }
}
