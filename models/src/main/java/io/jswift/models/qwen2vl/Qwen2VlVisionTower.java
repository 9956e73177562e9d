package io.jswift.models.qwen2vl;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.Qwen2VlVisionConfig;
import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.GridThw;
import io.jswift.nn.Module;
import io.jswift.nn.ModuleList;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2VisionTransformerPretrainedModel / Qwen2_5_VisionTransformerPretrainedModel (the {@code visual.} prefix):
 * {@code patch_embed.proj}, {@code blocks.N}, {@code merger}. Every image (each frame of a grid) attends only to
 * itself, as transformers' cu_seqlens segments; Qwen2.5-VL's blocks outside {@code fullatt_block_indexes} attend only
 * inside their window, with the patches reordered window by window for the whole tower and the merged tokens put back
 * in grid order after the merger. Dims: N patches, E embed, O out, m merge size.
 */
public final class Qwen2VlVisionTower extends Module {
    private final Qwen2VlVisionConfig config;
    private final Conv3dPatches patchEmbed;
    private final ModuleList<Qwen2VlVisionBlock> blocks;
    private final PatchMerger merger;

    public Qwen2VlVisionTower(Qwen2VlVisionConfig c, Generator gen) {
        config = c;
        PatchMerger.Sequential embed = registerModule("patch_embed", new PatchMerger.Sequential());
        patchEmbed = new Conv3dPatches(c, gen);
        embed.add("proj", patchEmbed);
        List<Qwen2VlVisionBlock> list = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) list.add(new Qwen2VlVisionBlock(c, gen));
        blocks = registerModule("blocks", new ModuleList<>(list));
        merger = registerModule("merger", new PatchMerger(c, gen));
    }

    public Qwen2VlVisionConfig config() { return config; }

    /** The image features [tokens, O] (transformers' get_image_features, concatenated): one row per merge block. */
    public Variable forward(VisionInput images) {
        int m = config.spatialMergeSize(), unit = m * m;
        for (GridThw g : images.grids()) {
            if (g.h() % m != 0 || g.w() % m != 0) {
                throw new IllegalArgumentException("image grid " + g + " is not a multiple of spatial_merge_size " + m);
            }
        }
        Device device = patchEmbed.device();
        Variable x = patchEmbed.forward(Variable.constant(images.pixelValues().to(device)));
        int n = x.size(0);
        RotaryEmbedding.Tables rope = VisionRope.tables(images.grids(), m, config.headDim(), config.ropeTheta());
        int[] imageOf = imageSegments(images.grids());
        AttentionSpec full, windowed;
        int[] inverse = null;
        if (config.windowed()) {
            VisionWindows w = VisionWindows.of(images.grids(), m, config.mergedWindow());
            Tensor order = groupOrder(w.order(), unit);
            x = Views.indexSelect(x, 0, order.to(device));
            rope = new RotaryEmbedding.Tables(rows(rope.cos(), order), rows(rope.sin(), order));
            int[] windowOf = new int[n], imageOfReordered = new int[n];
            for (int i = 0; i < n; i++) {
                windowOf[i] = w.windows()[i / unit];
                imageOfReordered[i] = imageOf[w.order()[i / unit] * unit]; // windows never cross images
            }
            full = segments(imageOfReordered, device);
            windowed = segments(windowOf, device);
            inverse = w.inverse();
        } else {
            full = segments(imageOf, device);
            windowed = full;
        }
        rope = rope.to(device);
        for (int i = 0; i < blocks.size(); i++) {
            x = blocks.get(i).forward(x, rope, config.fullAttentionBlocks().contains(i) || !config.windowed() ? full : windowed);
        }
        Variable merged = merger.forward(x);
        if (inverse != null) merged = Views.indexSelect(merged, 0, indices(inverse).to(device));
        return merged;
    }

    /** Which image frame each patch belongs to (cu_seqlens as ids): every frame its own segment. */
    private static int[] imageSegments(List<GridThw> grids) {
        int n = 0;
        for (GridThw g : grids) n += g.patches();
        int[] out = new int[n];
        int i = 0, frame = 0;
        for (GridThw g : grids)
            for (int f = 0; f < g.t(); f++, frame++)
                for (int p = 0; p < g.h() * g.w(); p++) out[i++] = frame;
        return out;
    }

    private double scale() { return 1.0 / Math.sqrt(config.headDim()); }

    private AttentionSpec segments(int[] ids, Device device) {
        Tensor t = Tensor.ofInts(ids, 1, ids.length).to(device);
        return new AttentionSpec(scale(), false, t, t);
    }

    /** Patch rows of the merge groups in {@code groups}' order ([N] I64). */
    private static Tensor groupOrder(int[] groups, int unit) {
        long[] rows = new long[groups.length * unit];
        for (int g = 0; g < groups.length; g++)
            for (int u = 0; u < unit; u++) rows[g * unit + u] = (long) groups[g] * unit + u;
        return Tensor.ofLongs(rows, rows.length);
    }

    private static Tensor rows(Tensor table, Tensor order) {
        return Views.indexSelect(Variable.constant(table), 0, order).value();
    }

    private static Tensor indices(int[] idx) {
        long[] out = new long[idx.length];
        for (int i = 0; i < idx.length; i++) out[i] = idx[i];
        return Tensor.ofLongs(out, out.length);
    }
}
