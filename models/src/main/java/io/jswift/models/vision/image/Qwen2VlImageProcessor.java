package io.jswift.models.vision.image;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2VLImageProcessor (transformers 5, the PIL backend Qwen2VLImageProcessorPil) for RGB images: smart_resize,
 * Pillow BICUBIC resize, rescale, normalize, temporal duplication and patchify.
 *
 * <p>Dims: C = 3 channels, T = temporal_patch_size, P = patch_size, m = merge_size; an image of H x W pixels has
 * gh = H / P by gw = W / P patches. Row order of pixel_values: (gh / m, gw / m, m, m), i.e. the m x m patches the
 * merger will join are consecutive; within a row: (C, T, P, P), the T copies identical (an image is one frame repeated
 * T times). Numerics as numpy there: rescale is {@code f32(f64(u8) * rescale_factor)}, normalize
 * {@code (x - f32(mean)) / f32(std)} in f32, so values equal HF's bit for bit when the resized pixels do.
 */
public final class Qwen2VlImageProcessor {
    private final Qwen2VlImageConfig config;

    public Qwen2VlImageProcessor(Qwen2VlImageConfig config) { this.config = config; }

    public Qwen2VlImageConfig config() { return config; }

    /** The grid an image of this size gets (its number of patches; / m^2 gives its image tokens). */
    public GridThw grid(int height, int width) {
        int p = config.patches().patchSize();
        if (!config.resize().enabled()) return new GridThw(1, height / p, width / p);
        SmartResize s = SmartResize.of(height, width, config.patches().factor(), config.resize().minPixels(), config.resize().maxPixels());
        return new GridThw(1, s.height() / p, s.width() / p);
    }

    /** The image as the processor feeds it to rescale: resized to its smart_resize size when do_resize. */
    public RgbImage resize(RgbImage image) {
        if (!config.resize().enabled()) return image;
        SmartResize s = SmartResize.of(image.height(), image.width(), config.patches().factor(),
                config.resize().minPixels(), config.resize().maxPixels());
        return PillowBicubic.resize(image, s.width(), s.height());
    }

    public Qwen2VlPixels preprocess(List<RgbImage> images) {
        Qwen2VlImageConfig.Patches pc = config.patches();
        int p = pc.patchSize();
        int patchDim = 3 * pc.temporalPatchSize() * p * p;
        List<RgbImage> resized = new ArrayList<>(images.size());
        List<GridThw> grids = new ArrayList<>(images.size());
        long rows = 0;
        for (RgbImage image : images) {
            RgbImage r = resize(image);
            if (r.height() % pc.factor() != 0 || r.width() % pc.factor() != 0)
                throw new IllegalArgumentException("image of " + r.width() + "x" + r.height() + " is not a multiple of patch_size * merge_size = "
                        + pc.factor() + " on both sides (do_resize is off)");
            resized.add(r);
            GridThw g = new GridThw(1, r.height() / p, r.width() / p);
            grids.add(g);
            rows += g.patches();
        }
        if (rows * patchDim > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many pixels in one batch: " + rows + " patches");
        float[] out = new float[(int) (rows * patchDim)];
        int row = 0;
        for (int i = 0; i < resized.size(); i++) {
            patchify(normalized(resized.get(i)), resized.get(i).width(), grids.get(i), out, row, patchDim);
            row += grids.get(i).patches();
        }
        return new Qwen2VlPixels(out, patchDim, grids);
    }

    /** Channel-first [3, H, W] f32 after rescale and normalize. */
    private float[] normalized(RgbImage img) {
        Qwen2VlImageConfig.Pixels px = config.pixels();
        int hw = img.width() * img.height();
        float[] lut = new float[3 * 256]; // 256 possible inputs per channel: compute each value once
        for (int c = 0; c < 3; c++) {
            float mean = (float) px.mean()[c], std = (float) px.std()[c];
            for (int u = 0; u < 256; u++) {
                float v = px.rescale() ? (float) (u * px.rescaleFactor()) : u;
                lut[c * 256 + u] = px.normalize() ? (v - mean) / std : v;
            }
        }
        float[] chw = new float[3 * hw];
        byte[] rgb = img.rgb();
        for (int i = 0; i < hw; i++)
            for (int c = 0; c < 3; c++) chw[c * hw + i] = lut[c * 256 + (rgb[i * 3 + c] & 0xFF)];
        return chw;
    }

    private void patchify(float[] chw, int width, GridThw g, float[] out, int firstRow, int patchDim) {
        Qwen2VlImageConfig.Patches pc = config.patches();
        int p = pc.patchSize(), t = pc.temporalPatchSize(), m = pc.mergeSize();
        int hw = g.h() * p * width;
        int o = firstRow * patchDim;
        for (int bh = 0; bh < g.h() / m; bh++)
            for (int bw = 0; bw < g.w() / m; bw++)
                for (int mh = 0; mh < m; mh++)
                    for (int mw = 0; mw < m; mw++) {
                        int y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p;
                        for (int c = 0; c < 3; c++)
                            for (int copy = 0; copy < t; copy++)
                                for (int py = 0; py < p; py++) {
                                    System.arraycopy(chw, c * hw + (y0 + py) * width + x0, out, o, p);
                                    o += p;
                                }
                    }
    }
}
