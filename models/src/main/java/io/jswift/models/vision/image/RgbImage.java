package io.jswift.models.vision.image;

/**
 * An 8-bit RGB image as PIL holds one after {@code convert("RGB")}: row-major, channels interleaved.
 *
 * @param rgb [height, width, 3] bytes, read unsigned
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (rgb.length != (long) width * height * 3)
            throw new IllegalArgumentException("expected " + (long) width * height * 3 + " RGB bytes for " + width + "x" + height + ", got " + rgb.length);
    }

    /** Sample {@code c} (0 = R, 1 = G, 2 = B) of pixel (x, y), 0..255. */
    public int sample(int x, int y, int c) { return rgb[(y * width + x) * 3 + c] & 0xFF; }
}
