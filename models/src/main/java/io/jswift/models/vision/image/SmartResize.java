package io.jswift.models.vision.image;

/**
 * Qwen2-VL's {@code smart_resize}: the size an image is resized to so that both sides are multiples of {@code factor}
 * (patch_size x merge_size) and the pixel count lies within [minPixels, maxPixels], keeping the aspect ratio as
 * closely as possible. Python semantics: {@code round} is round-half-to-even ({@link Math#rint}), floor / ceil and
 * sqrt in double, exactly as {@code image_processing_qwen2_vl.smart_resize} computes them.
 */
public record SmartResize(int height, int width) {
    public static SmartResize of(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        double ratio = (double) Math.max(height, width) / Math.min(height, width);
        if (ratio > 200) throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, got " + ratio
                + " (image " + width + "x" + height + ")");
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt((double) ((long) height * width) / maxPixels);
            hBar = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
            wBar = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((long) height * width));
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        return new SmartResize(Math.toIntExact(hBar), Math.toIntExact(wBar));
    }
}
