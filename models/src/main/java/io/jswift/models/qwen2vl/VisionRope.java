package io.jswift.models.qwen2vl;

import io.jswift.models.vision.image.GridThw;
import io.jswift.nn.RopeScaling;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Tensor;

import java.util.List;

/**
 * The vision tower's 2-D rotary tables (Qwen2VLVisionRotaryEmbedding, rope_type "axial"): D/4 frequencies
 * 1 / theta^(2i / (D/2)); a patch at row h, column w of its image turns by [h·f, w·f] over the first D/2 dims and
 * again over the last D/2 (rotate_half pairs dim j with j + D/2). Patches are ordered as the processor writes them:
 * m×m merge blocks row-major, patches inside a block row-major (transformers' get_vision_position_ids); each frame
 * of a grid repeats the frame's positions. Dims: N patches, D vision head dim.
 */
final class VisionRope {
    private VisionRope() {}

    /** cos and sin [N, D] for every patch of {@code grids}. */
    static RotaryEmbedding.Tables tables(List<GridThw> grids, int mergeSize, int headDim, double theta) {
        int n = 0;
        for (GridThw g : grids) n += g.patches();
        long[] hPos = new long[n], wPos = new long[n];
        int i = 0;
        for (GridThw g : grids) {
            for (int f = 0; f < g.t(); f++)
                for (int bh = 0; bh < g.h() / mergeSize; bh++)
                    for (int bw = 0; bw < g.w() / mergeSize; bw++)
                        for (int mh = 0; mh < mergeSize; mh++)
                            for (int mw = 0; mw < mergeSize; mw++) {
                                hPos[i] = bh * mergeSize + mh;
                                wPos[i] = bw * mergeSize + mw;
                                i++;
                            }
        }
        // RotaryEmbedding(D/2) has exactly these D/4 frequencies; its [cos(p·f), cos(p·f)] rows give each half's angles
        RotaryEmbedding r = new RotaryEmbedding(headDim / 2, theta, RopeScaling.NONE);
        RotaryEmbedding.Tables h = r.forPositionIds(Tensor.ofLongs(hPos, 1, n)), w = r.forPositionIds(Tensor.ofLongs(wPos, 1, n));
        return new RotaryEmbedding.Tables(interleave(h.cos(), w.cos(), n, headDim), interleave(h.sin(), w.sin(), n, headDim));
    }

    /** Rows [h (D/4) | w (D/4) | h | w] from the tables of the h and w positions ([1, N, D/2] each). */
    private static Tensor interleave(Tensor hTable, Tensor wTable, int n, int headDim) {
        float[] hv = hTable.toFloatArray(), wv = wTable.toFloatArray();
        int q = headDim / 4, half = headDim / 2;
        float[] out = new float[n * headDim];
        for (int p = 0; p < n; p++) {
            for (int j = 0; j < q; j++) {
                float hc = hv[p * half + j], wc = wv[p * half + j];
                out[p * headDim + j] = hc;
                out[p * headDim + q + j] = wc;
                out[p * headDim + half + j] = hc;
                out[p * headDim + half + q + j] = wc;
            }
        }
        return Tensor.of(out, n, headDim);
    }
}
