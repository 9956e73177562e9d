package io.jswift.models.vision.image;

import java.util.List;

/**
 * The processor's output for a batch of images: HF's {@code pixel_values} and {@code image_grid_thw}.
 *
 * @param values   [rows, patchDim] f32, row-major; the images' patches one after another
 * @param patchDim C * temporal_patch_size * patch_size^2
 * @param grids    one per image, in order
 */
public record Qwen2VlPixels(float[] values, int patchDim, List<GridThw> grids) {
    public Qwen2VlPixels {
        grids = List.copyOf(grids);
        long rows = grids.stream().mapToLong(GridThw::patches).sum();
        if (values.length != rows * patchDim)
            throw new IllegalArgumentException(values.length + " values for " + rows + " patches of " + patchDim);
    }

    public int rows() { return values.length / patchDim; }
}
