package io.jswift.models.config;

import io.jswift.nn.Activation;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * The vision tower of Qwen2-VL / Qwen2.5-VL ({@code vision_config}). Qwen2-VL: LayerNorm blocks, fc1/fc2 MLP of
 * embed_dim · mlp_ratio, quick_gelu, full attention per image. Qwen2.5-VL ({@code windowed}): RMSNorm blocks, a SwiGLU
 * gate/up/down MLP with biases of intermediate_size, attention inside windows of {@code windowSize} pixels except in
 * the {@code fullAttentionBlocks}, an RMSNorm before the merger. Dims: E embed (the tower's width), O out (the LLM's
 * hidden size), P patch, T temporal patch, m spatial merge.
 */
public record Qwen2VlVisionConfig(int depth, int embedDim, int outDim, int numHeads, int mlpDim, Activation activation,
                                  int inChannels, int patchSize, int temporalPatchSize, int spatialMergeSize, double ropeTheta,
                                  boolean windowed, int windowSize, Set<Integer> fullAttentionBlocks) {
    public Qwen2VlVisionConfig {
        fullAttentionBlocks = Set.copyOf(fullAttentionBlocks);
        if (embedDim % numHeads != 0 || (embedDim / numHeads) % 4 != 0) {
            throw new IllegalArgumentException("vision head dim (" + embedDim + " / " + numHeads + ") must be a multiple of 4 (2-D rotary)");
        }
        if (windowed && windowSize / spatialMergeSize / patchSize < 1) {
            throw new IllegalArgumentException("window_size " + windowSize + " is smaller than patch_size * spatial_merge_size");
        }
    }

    public int headDim() { return embedDim / numHeads; }

    /** Values per pixel row (C · T · P · P), the Conv3d patch embedding's fan-in. */
    public int patchDim() { return inChannels * temporalPatchSize * patchSize * patchSize; }

    /** Merged patches per side of a window (vit_merger_window_size). */
    public int mergedWindow() { return windowSize / spatialMergeSize / patchSize; }

    /** Qwen2VLVisionConfig (transformers' defaults for absent keys). */
    static Qwen2VlVisionConfig parseQwen2(ConfigJson v) {
        int embed = v.optInt("embed_dim", 1280);
        return new Qwen2VlVisionConfig(v.optInt("depth", 32), embed, v.optInt("hidden_size", 3584), heads(v),
                (int) (embed * v.optDouble("mlp_ratio", 4)), Activation.fromHf(v.optString("hidden_act", "quick_gelu")),
                v.optInt("in_channels", 3), v.optInt("patch_size", 14), v.optInt("temporal_patch_size", 2),
                v.optInt("spatial_merge_size", 2), theta(v), false, 0, Set.of());
    }

    /** Qwen2_5_VLVisionConfig. */
    static Qwen2VlVisionConfig parseQwen25(ConfigJson v) {
        Set<Integer> full = new TreeSet<>();
        var list = v.root().get("fullatt_block_indexes");
        if (list == null || list.isNull()) full.addAll(Arrays.asList(7, 15, 23, 31));
        else if (!list.isArray()) throw new IllegalArgumentException(v.file() + ": 'fullatt_block_indexes' must be a list of block indexes");
        else list.forEach(n -> full.add(n.asInt()));
        return new Qwen2VlVisionConfig(v.optInt("depth", 32), v.optInt("hidden_size", 3584), v.optInt("out_hidden_size", 3584), heads(v),
                v.optInt("intermediate_size", 3420), Activation.fromHf(v.optString("hidden_act", "silu")),
                v.optInt("in_channels", 3), v.optInt("patch_size", 14), v.optInt("temporal_patch_size", 2),
                v.optInt("spatial_merge_size", 2), theta(v), true, v.optInt("window_size", 112), full);
    }

    private static int heads(ConfigJson v) { return v.optInt("num_heads", v.optInt("num_attention_heads", 16)); }

    private static double theta(ConfigJson v) {
        ConfigJson rope = v.optObject("rope_parameters");
        return rope != null ? rope.optDouble("rope_theta", 10000.0) : 10000.0;
    }
}
