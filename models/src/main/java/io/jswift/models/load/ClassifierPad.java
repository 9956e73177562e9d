package io.jswift.models.load;

import io.jswift.models.config.DecoderConfig;
import io.jswift.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The pad id with which a sequence classifier finds the last token of each row ({@link io.jswift.models.decoder.DecoderClassifier#lastNonPad}). */
public final class ClassifierPad {
    private ClassifierPad() {}

    /**
     * TRL's RewardTrainer: the tokenizer's pad token, else its eos token; it then sets model.config.pad_token_id to
     * it, so this is what a trained reward model saves. Null when the tokenizer has neither.
     */
    public static Integer ofTokenizer(Tokenizer tokenizer) {
        Tokenizer.SpecialTokens t = tokenizer.specialTokens();
        return t.pad() != null ? t.pad() : t.eos();
    }

    /** A model directory's: config.json's pad_token_id, else {@link #ofTokenizer} of its tokenizer (null without one). */
    public static Integer of(Path dir, DecoderConfig config) throws IOException {
        if (config.padTokenId() != null) return config.padTokenId();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) return null;
        return ofTokenizer(Tokenizer.fromDirectory(dir));
    }
}
