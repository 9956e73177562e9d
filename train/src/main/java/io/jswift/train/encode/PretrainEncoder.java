package io.jswift.train.encode;

import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Sample;

import java.util.Arrays;

/**
 * {@code jswift pt}: a text row becomes the tokenizer's own specials around the text, then eos, with loss on
 * every token (ms-swift's generation template: auto_add_bos takes what {@code tokenizer.encode} adds before
 * the text; the suffix is what it adds after, else eos). Pre-tokenized rows pass through. Conversations and
 * preference rows are for jswift sft / rlhf.
 */
public final class PretrainEncoder implements Encoder {
    private final Tokenizer tokenizer;
    private final int[] prefix;   // specials the tokenizer puts before a text (Llama 2 / Llama 3 bos), often none
    private final int[] suffix;   // what ends a document: specials the tokenizer puts after a text, else eos

    /** @param tokenizer the model's tokenizer, or null when every row is pre-tokenized */
    public PretrainEncoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        if (tokenizer == null) {
            prefix = suffix = new int[0];
            return;
        }
        int[] plain = tokenizer.encode("a", false), special = tokenizer.encode("a", true);
        int at = indexOf(special, plain);
        if (at < 0) throw new IllegalArgumentException("the tokenizer's post-processor changes the text itself; cannot tell its specials apart");
        prefix = Arrays.copyOfRange(special, 0, at);
        int[] after = Arrays.copyOfRange(special, at + plain.length, special.length);
        Integer eos = tokenizer.specialTokens().eos();
        suffix = after.length > 0 ? after : eos == null ? new int[0] : new int[]{eos};
    }

    @Override
    public Encoded encode(LocatedSample row) {
        return switch (row.sample()) {
            case Sample.Tokenized t -> TokenizedRows.encode(t);
            case Sample.Text t -> text(row, t.text());
            default -> throw new DatasetException(row.file(), row.line(), "jswift pt trains on text or pre-tokenized rows; "
                    + "conversations and preference rows are for jswift sft / rlhf");
        };
    }

    private Encoded text(LocatedSample row, String text) {
        if (tokenizer == null) {
            throw new IllegalArgumentException(row.where() + ": text rows need the model's tokenizer.json; "
                    + "give pre-tokenized rows {\"input_ids\": [...]} for a model directory without one");
        }
        int[] body = tokenizer.encode(text, false);
        int[] ids = new int[prefix.length + body.length + suffix.length];
        System.arraycopy(prefix, 0, ids, 0, prefix.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        System.arraycopy(suffix, 0, ids, prefix.length + body.length, suffix.length);
        if (ids.length < 2) throw new DatasetException(row.file(), row.line(), "text row is too short to train on (" + ids.length + " token)");
        return new Encoded(ids, ids.clone());
    }

    private static int indexOf(int[] haystack, int[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
