package io.jswift.models.vision.image;

import java.util.Arrays;

/**
 * Pillow's {@code Image.resize(size, Resampling.BICUBIC)} of an RGB image, bit for bit: a port of the semantics of
 * libImaging/Resample.c (8 bits per channel). One grey level off moves a VLM's logits by ~5e-4, hence the care.
 *
 * <ul>
 * <li>Separable: a horizontal pass (only when the width changes) into a buffer holding just the source rows the vertical
 *     pass will read, then a vertical pass (only when the height changes); neither: a copy.</li>
 * <li>Per output pixel a window of source pixels: scale = in/out; the filter is widened by max(scale, 1) when
 *     downscaling (support 2 x scale) and evaluated at (x + xmin - center + 0.5) / filterscale; window bounds round
 *     center -/+ support with {@code (int)(v + 0.5)} and clamp to the image; the weights are divided by their sum.</li>
 * <li>Weights become fixed point with PRECISION_BITS = 22 (rounded away from zero); each pass accumulates
 *     {@code sample * weight} in a 32-bit int starting at 2^21, shifts right by 22 (arithmetic) and clips to 0..255,
 *     so each pass rounds and clips its own result.</li>
 * <li>The cubic kernel is Keys' with a = -0.5, computed in double in the same operation order as Pillow.</li>
 * </ul>
 */
public final class PillowBicubic {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PillowBicubic() {}

    /** One axis's resampling plan: for output index i, taps {@code weights[i*ksize .. +count]} start at source {@code start}. */
    private record Coefficients(int ksize, int[] start, int[] count, int[] weights) {}

    public static RgbImage resize(RgbImage in, int width, int height) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        if (width == in.width() && height == in.height()) return new RgbImage(width, height, in.rgb().clone()); // Image.copy()
        boolean horizontal = width != in.width(), vertical = height != in.height();
        Coefficients v = coefficients(in.height(), height);
        int firstRow = v.start[0], lastRow = v.start[height - 1] + v.count[height - 1];
        byte[] src = in.rgb();
        int srcW = in.width(), srcRowOffset = 0;
        if (horizontal) {
            byte[] tmp = new byte[width * (lastRow - firstRow) * 3];
            horizontalPass(src, srcW, firstRow, lastRow, coefficients(srcW, width), tmp, width);
            src = tmp;
            srcW = width;
            srcRowOffset = firstRow; // the buffer's row 0 is source row firstRow
        }
        if (!vertical) return new RgbImage(width, height, src);
        byte[] out = new byte[width * height * 3];
        verticalPass(src, srcW, srcRowOffset, v, out, height);
        return new RgbImage(width, height, out);
    }

    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /** Pillow's precompute_coeffs for box (0, inSize) followed by normalize_coeffs_8bpc. */
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize; // (double)(in1 - in0) / outSize with in0 = 0.0f, in1 = (float) inSize
        double filterscale = Math.max(scale, 1.0);
        double support = SUPPORT * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize], count = new int[outSize], weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0.0, ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++) {
                double w = bicubic((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS)) : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(ksize, start, count, weights);
    }

    /** Pillow's clip8: the accumulator's integer part, clipped to 0..255. */
    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static void horizontalPass(byte[] src, int srcW, int firstRow, int lastRow, Coefficients c, byte[] dst, int dstW) {
        for (int y = firstRow; y < lastRow; y++) {
            int row = y * srcW * 3, o = (y - firstRow) * dstW * 3;
            for (int xx = 0; xx < dstW; xx++, o += 3) {
                int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                int kOff = xx * c.ksize, p = row + c.start[xx] * 3;
                for (int x = 0, n = c.count[xx]; x < n; x++, p += 3) {
                    int w = c.weights[kOff + x];
                    s0 += (src[p] & 0xFF) * w;
                    s1 += (src[p + 1] & 0xFF) * w;
                    s2 += (src[p + 2] & 0xFF) * w;
                }
                dst[o] = clip8(s0);
                dst[o + 1] = clip8(s1);
                dst[o + 2] = clip8(s2);
            }
        }
    }

    private static void verticalPass(byte[] src, int w, int rowOffset, Coefficients c, byte[] dst, int dstH) {
        int line = w * 3;
        int[] acc = new int[line];
        for (int yy = 0; yy < dstH; yy++) {
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            int kOff = yy * c.ksize, first = c.start[yy] - rowOffset;
            for (int y = 0, n = c.count[yy]; y < n; y++) {
                int wgt = c.weights[kOff + y], p = (first + y) * line;
                for (int i = 0; i < line; i++) acc[i] += (src[p + i] & 0xFF) * wgt;
            }
            for (int i = 0, o = yy * line; i < line; i++) dst[o + i] = clip8(acc[i]);
        }
    }
}
