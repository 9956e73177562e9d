package io.jswift.models.qwen2vl;

import io.jswift.models.vision.image.GridThw;

import java.util.Iterator;
import java.util.List;

/**
 * Multimodal RoPE positions (transformers 5's Qwen2VLModel.get_rope_index): each sample of each row (a segment: the
 * row's non-negative segment ids, padding -1 skipped) counts from 0; text tokens take the next position on all three
 * axes; a run of image tokens of grid (t, h, w) lays out its (h/m) × (w/m) tokens with temporal = start, height =
 * start + row, width = start + column, and the text after it continues at start + max(h/m, w/m). The rope delta of a
 * row is its last sample's (largest position + 1 − tokens): decode steps add it to the token index. Grids are
 * consumed in order over the whole batch, row by row.
 *
 * @param positions [3, B, T] row-major (temporal, height, width); padding gets 0
 * @param deltas    [B]
 */
public record MropeIndex(long[] positions, long[] deltas) {
    /**
     * @param ids      [B·T] token ids
     * @param segments [B·T] segment ids (−1: padding), or null: one sample per row
     */
    public static MropeIndex of(long[] ids, int[] segments, int batch, int t, int imageTokenId, List<GridThw> grids, int mergeSize) {
        long[] pos = new long[3 * batch * t];
        long[] deltas = new long[batch];
        Iterator<GridThw> next = grids.iterator();
        int used = 0;
        for (int b = 0; b < batch; b++) {
            int j = 0;
            while (j < t) {
                int seg = segments == null ? 0 : segments[b * t + j];
                if (seg < 0) { j++; continue; }
                long current = 0;
                int tokens = 0;
                long max = -1;
                while (j < t && (segments == null || segments[b * t + j] == seg)) {
                    int at = b * t + j;
                    if (ids[at] != imageTokenId) {
                        set(pos, batch, t, b, j, current, current, current);
                        max = Math.max(max, current);
                        current++;
                        tokens++;
                        j++;
                        continue;
                    }
                    int run = 0;
                    while (j + run < t && ids[at + run] == imageTokenId && (segments == null || segments[at + run] == seg)) run++;
                    if (!next.hasNext()) {
                        throw new IllegalArgumentException("more image placeholder runs than images: the run at row " + b + ", token " + j
                                + " has no image (" + grids.size() + " given)");
                    }
                    GridThw g = next.next();
                    used++;
                    int gh = g.h() / mergeSize, gw = g.w() / mergeSize;
                    if (run != g.t() * gh * gw) {
                        throw new IllegalArgumentException("image " + used + " (grid " + g.t() + "x" + g.h() + "x" + g.w() + ") needs "
                                + g.t() * gh * gw + " image tokens, its placeholder run at row " + b + ", token " + j + " has " + run);
                    }
                    int k = 0;
                    for (int f = 0; f < g.t(); f++)
                        for (int y = 0; y < gh; y++)
                            for (int x = 0; x < gw; x++, k++) {
                                set(pos, batch, t, b, j + k, current + f, current + y, current + x);
                                max = Math.max(max, Math.max(current + f, Math.max(current + y, current + x)));
                            }
                    current += Math.max(gh, gw);
                    tokens += run;
                    j += run;
                }
                deltas[b] = max + 1 - tokens;
            }
        }
        if (used != grids.size()) {
            throw new IllegalArgumentException(grids.size() + " images given but the prompt has " + used + " image placeholder runs");
        }
        return new MropeIndex(pos, deltas);
    }

    private static void set(long[] pos, int batch, int t, int b, int j, long temporal, long height, long width) {
        int plane = batch * t;
        pos[b * t + j] = temporal;
        pos[plane + b * t + j] = height;
        pos[2 * plane + b * t + j] = width;
    }

    /** Positions of text-only tokens: each index plus its row's delta on all three axes ([3, B, T]). */
    public static long[] shifted(long[] textPositions, long[] deltas, int batch, int t) {
        long[] out = new long[3 * batch * t];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < t; j++) out[a * batch * t + b * t + j] = textPositions[b * t + j] + (deltas == null ? 0 : deltas[b]);
        return out;
    }
}
