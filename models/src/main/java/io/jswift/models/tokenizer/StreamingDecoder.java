package io.jswift.models.tokenizer;

import java.util.Arrays;

/**
 * Decodes generated ids one at a time, as HF tokenizers' DecodeStream: text is given out only once it no longer
 * ends in U+FFFD (a UTF-8 char whose bytes are still arriving). The ids since the last output are decoded after a
 * short context (the ids that produced the previous output), so that a decoder which treats the first token
 * specially (Llama 2 strips its leading space) decodes every later token as inside the text.
 * Not thread-safe: one per generated sequence.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[0];
    private String prefix = "";
    private int prefixIndex;

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id; returns the new complete text, or null while more ids are needed. */
    public String step(int id) {
        ids = Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = id;
        String text = tokenizer.decode(ids, skipSpecialTokens);
        if (text.length() <= prefix.length() || text.endsWith("\uFFFD")) return null;
        if (!text.startsWith(prefix)) {
            throw new IllegalStateException("streaming decode: the text of ids " + Arrays.toString(ids) + " does not extend '" + prefix + "'");
        }
        String fresh = text.substring(prefix.length());
        int newPrefixIndex = ids.length - prefixIndex;
        ids = Arrays.copyOfRange(ids, prefixIndex, ids.length);
        prefix = tokenizer.decode(ids, skipSpecialTokens);
        prefixIndex = newPrefixIndex;
        return fresh;
    }
}
