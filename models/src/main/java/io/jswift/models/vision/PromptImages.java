package io.jswift.models.vision;

import io.jswift.autograd.Variable;

import java.util.Arrays;

/**
 * The images of one prompt encoded once, so that the prompt can be prefilled in chunks (the server's chunked prefill,
 * vLLM's encoder cache): the vision tower's features in image-token order and the whole prompt's M-RoPE positions
 * (transformers' get_rope_index), which each chunk slices at its own image tokens and positions.
 *
 * @param prompt    the whole prompt's token ids
 * @param features  [N, C]: one row per image token of the prompt, in order
 * @param positions [3, T]: the temporal, height and width position of each prompt token
 * @param ropeDelta what every token after the prompt adds to its index (transformers' rope_deltas)
 */
public record PromptImages(long[] prompt, Variable features, long[] positions, long ropeDelta) {
    public PromptImages {
        if (positions.length != 3L * prompt.length) {
            throw new IllegalArgumentException("M-RoPE positions must be [3, " + prompt.length + "], got " + positions.length + " values");
        }
    }

    /** How many of {@code prompt[0, end)} are {@code imageTokenId}: where a chunk starting at {@code end} takes its first feature row. */
    public int imageTokensBefore(int end, long imageTokenId) {
        int n = 0;
        for (int i = 0; i < end; i++) if (prompt[i] == imageTokenId) n++;
        return n;
    }

    /** The positions [3, n] of prompt tokens [from, from + n), axis by axis. */
    public long[] positions(int from, int n) {
        int t = prompt.length;
        if (from < 0 || n < 0 || from + n > t) throw new IllegalArgumentException("chunk [" + from + ", " + (from + n) + ") outside a prompt of " + t + " tokens");
        long[] out = new long[3 * n];
        for (int a = 0; a < 3; a++) System.arraycopy(positions, a * t + from, out, a * n, n);
        return out;
    }

    /** Whether {@code ids} are prompt tokens [from, from + ids.length). */
    public boolean matches(long[] ids, int from) {
        return from >= 0 && from + ids.length <= prompt.length && Arrays.equals(ids, 0, ids.length, prompt, from, from + ids.length);
    }
}
