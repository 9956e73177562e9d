package io.jswift.models.vision;

import io.jswift.models.vision.image.GridThw;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

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
}
