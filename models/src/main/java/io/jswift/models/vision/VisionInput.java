package io.jswift.models.vision;

import io.jswift.models.vision.image.GridThw;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The images of one forward call, as transformers' {@code pixel_values} and {@code image_grid_thw}: every image's
 * patch rows one after another (in the order their placeholder runs appear in the batch, row by row), and one grid
 * per image.
 *
 * @param pixelValues [patches, C·T·P·P] f32
 */
public record VisionInput(Tensor pixelValues, List<GridThw> grids) {
    public VisionInput {
        grids = List.copyOf(grids);
        long rows = grids.stream().mapToLong(GridThw::patches).sum();
        if (pixelValues.rank() != 2 || pixelValues.size(0) != rows) {
            throw new IllegalArgumentException("pixel values must be [" + rows + " patches, patch dim] for grids " + grids + ", got shape "
                    + java.util.Arrays.toString(pixelValues.shape()));
        }
    }

    public static VisionInput of(Qwen2VlPixels pixels) {
        return new VisionInput(Tensor.of(pixels.values(), pixels.rows(), pixels.patchDim()), pixels.grids());
    }

    public VisionInput to(Device device) { return new VisionInput(pixelValues.to(device), grids); }

    /** The images of several rows (or samples) one after another, as a batch holds them; null entries have none; null when none has any. */
    public static VisionInput concat(List<VisionInput> parts) {
        List<GridThw> grids = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        int rows = 0, dim = 0;
        for (VisionInput p : parts) {
            if (p == null) continue;
            if (dim != 0 && p.pixelValues.size(1) != dim) {
                throw new IllegalArgumentException("pixel values of patch dim " + p.pixelValues.size(1) + " and " + dim + " cannot share a batch");
            }
            dim = p.pixelValues.size(1);
            rows += p.pixelValues.size(0);
            grids.addAll(p.grids);
            values.add(p.pixelValues.to(Device.CPU).toFloatArray());
        }
        if (values.isEmpty()) return null;
        if (values.size() == 1) return parts.stream().filter(p -> p != null).findFirst().orElseThrow();
        float[] all = new float[rows * dim];
        int at = 0;
        for (float[] v : values) {
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return new VisionInput(Tensor.of(all, rows, dim), grids);
    }
}
