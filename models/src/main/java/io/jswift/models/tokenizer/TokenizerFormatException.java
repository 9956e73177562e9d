package io.jswift.models.tokenizer;

/**
 * A tokenizer.json / tokenizer_config.json that cannot be used: the message names the file and the JSON path,
 * e.g. {@code tokenizer.json: model.type 'Unigram' is not supported (supported: BPE)}.
 */
public final class TokenizerFormatException extends IllegalArgumentException {
    TokenizerFormatException(String message) {
        super(message);
    }
}
