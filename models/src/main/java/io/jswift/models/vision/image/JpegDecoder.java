package io.jswift.models.vision.image;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Baseline and progressive 8-bit JPEG (greyscale, YCbCr or RGB) to RGB as Pillow (libjpeg-turbo) decodes it.
 *
 * <p>The entropy decoding, integer "islow" IDCT and fancy chroma upsampling come from the JDK's ImageIO reader (IJG
 * libjpeg 6b, the same algorithms libjpeg-turbo runs), read as a raw {@link Raster}: no colour conversion at all.
 * Colour is then done here, because ImageIO's own conversion is not libjpeg's: it honours an embedded ICC profile
 * (an sRGB profile alone moves samples by a level; Pillow ignores profiles) and guesses RGB for some unmarked files
 * where libjpeg guesses YCbCr. So: the colour space is guessed as libjpeg-turbo's {@code default_decompress_parms}
 * does (JFIF marker, else the Adobe transform flag, else component ids 'R','G','B'), and YCbCr becomes RGB with
 * jdcolor.c's fixed-point tables (16 fraction bits, rounding constants where libjpeg has them, clamping).
 * (BufferedImage.getRGB() would add yet another conversion; it shifts greys by tens of levels.)
 *
 * <p>Refused with a clear error: CMYK / YCCK (4 components), 12-bit, lossless, hierarchical and arithmetic-coded
 * files, and truncated files (libjpeg would pad them with grey; Pillow raises). Other libjpeg warnings (extraneous
 * bytes, a data segment cut by a marker) are ignored, as Pillow ignores them.
 */
final class JpegDecoder {
    /** Warnings that mean the data ends before the image does: libjpeg's JWRN_JPEG_EOF and the JDK reader's own. */
    private static final List<String> TRUNCATED = List.of("Premature end of JPEG file", "Truncated File");
    private static final String XMP_ID = "http://ns.adobe.com/xap/1.0/\0";
    private static final int SCALEBITS = 16, ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static { // jdcolor.c build_ycc_rgb_table
        for (int i = 0, x = -128; i < 256; i++, x++) {
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegDecoder() {}

    private static int fix(double x) { return (int) (x * (1L << SCALEBITS) + 0.5); }

    static boolean sniff(byte[] data) {
        return data.length >= 3 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8 && (data[2] & 0xFF) == 0xFF;
    }

    /**
     * What the marker scan finds before the first scan.
     *
     * @param adobeTransform the APP14 "Adobe" transform flag, or -1 without that marker
     * @param componentIds   the frame header's component ids
     * @param exif           the first APP1 "Exif" block (Pillow's info["exif"]), or null
     * @param xmp            the first APP1 XMP packet (Pillow's info["xmp"]), or null
     */
    private record Markers(int sof, int precision, int[] componentIds, boolean jfif, int adobeTransform, byte[] exif, byte[] xmp) {
        /** libjpeg-turbo's guess (jdapimin.c default_decompress_parms) for 3 components. */
        boolean ycbcr() {
            if (jfif) return true;
            if (adobeTransform >= 0) return adobeTransform != 0; // 0: RGB; 1: YCbCr; anything else: YCbCr, with a warning
            return !(componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B');
        }
    }

    static DecodedImage decode(byte[] data, String source) throws ImageFormatException {
        if (!sniff(data)) throw new ImageFormatException(source, "not a JPEG file (no SOI marker)");
        Markers m = scan(data, source);
        if (m.sof != 0xC0 && m.sof != 0xC1 && m.sof != 0xC2)
            throw new ImageFormatException(source, "unsupported JPEG coding (SOF marker 0x" + Integer.toHexString(m.sof)
                    + ": lossless, hierarchical or arithmetic-coded); only baseline and progressive Huffman JPEG are read");
        if (m.precision != 8) throw new ImageFormatException(source, "unsupported " + m.precision + "-bit JPEG; only 8-bit samples are read");
        int components = m.componentIds.length;
        if (components == 4) throw new ImageFormatException(source, "CMYK / YCCK JPEG is not supported; convert the image to RGB");
        if (components != 1 && components != 3)
            throw new ImageFormatException(source, "unsupported JPEG with " + components + " components");
        Raster raw = readRaster(data, source);
        if (raw.getNumBands() != components)
            throw new ImageFormatException(source, "JPEG decoder returned " + raw.getNumBands() + " bands for " + components + " components");
        return new DecodedImage(toRgb(raw, components == 3 && m.ycbcr()), m.exif, m.xmp);
    }

    private static Markers scan(byte[] d, String source) throws ImageFormatException {
        int at = 2, sof = -1, precision = 0, adobe = -1;
        int[] ids = new int[0];
        boolean jfif = false;
        byte[] exif = null, xmp = null;
        while (true) {
            while (at < d.length && (d[at] & 0xFF) != 0xFF) at++; // tolerate garbage between segments, as libjpeg does
            while (at < d.length && (d[at] & 0xFF) == 0xFF) at++; // fill bytes
            if (at >= d.length) throw new ImageFormatException(source, "JPEG file is truncated (no image data before the end of the file)");
            int marker = d[at] & 0xFF;
            at++;
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // no length field
            if (marker == 0xD9) throw new ImageFormatException(source, "corrupt JPEG: end of image before any scan");
            if (at + 2 > d.length) throw new ImageFormatException(source, "JPEG file is truncated (in a marker segment)");
            int length = (d[at] & 0xFF) << 8 | d[at + 1] & 0xFF;
            if (length < 2 || at + length > d.length) throw new ImageFormatException(source, "JPEG file is truncated (in a marker segment)");
            int body = at + 2, bodyLen = length - 2;
            if (marker == 0xDA) {
                if (sof < 0) throw new ImageFormatException(source, "corrupt JPEG: scan before any frame header");
                return new Markers(sof, precision, ids, jfif, adobe, exif, xmp);
            }
            boolean isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (isSof && sof < 0) {
                int n = bodyLen >= 6 ? d[body + 5] & 0xFF : 0;
                if (bodyLen < 6 + 3 * n) throw new ImageFormatException(source, "corrupt JPEG: short frame header");
                sof = marker;
                precision = d[body] & 0xFF;
                ImageLoader.checkSize((d[body + 3] & 0xFF) << 8 | d[body + 4] & 0xFF, (d[body + 1] & 0xFF) << 8 | d[body + 2] & 0xFF, source);
                ids = new int[n];
                for (int i = 0; i < n; i++) ids[i] = d[body + 6 + 3 * i] & 0xFF;
            }
            // jdmarker.c: APP0 "JFIF\0" of at least 14 bytes; APP14 "Adobe" of at least 12 bytes, transform in byte 11
            if (marker == 0xE0 && bodyLen >= 14 && startsWith(d, body, "JFIF\0")) jfif = true;
            if (marker == 0xEE && bodyLen >= 12 && startsWith(d, body, "Adobe")) adobe = d[body + 11] & 0xFF;
            // Pillow keeps the first APP1 that starts with "Exif\0\0" as info["exif"]
            if (marker == 0xE1 && exif == null && bodyLen >= 6 && startsWith(d, body, "Exif\0\0"))
                exif = Arrays.copyOfRange(d, body + 6, body + bodyLen);
            if (marker == 0xE1 && xmp == null && startsWith(d, body, XMP_ID) && bodyLen >= XMP_ID.length())
                xmp = Arrays.copyOfRange(d, body + XMP_ID.length(), body + bodyLen);
            at += length;
        }
    }

    private static boolean startsWith(byte[] d, int at, String s) {
        if (at + s.length() > d.length) return false;
        for (int i = 0; i < s.length(); i++) if (d[at + i] != (byte) s.charAt(i)) return false;
        return true;
    }

    private static Raster readRaster(byte[] data, String source) throws ImageFormatException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) throw new ImageFormatException(source, "this JVM has no ImageIO JPEG reader");
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        Raster raster;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            raster = reader.readRaster(0, null);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IIOException ? e.getMessage() : e.toString();
            throw new ImageFormatException(source, (endsWithEoi(data) ? "corrupt JPEG" : "JPEG file is truncated (no end-of-image marker)")
                    + ": libjpeg says " + why, e);
        } finally {
            reader.dispose();
        }
        for (String w : warnings)
            if (TRUNCATED.stream().anyMatch(w::contains)) throw new ImageFormatException(source, "JPEG file is truncated (libjpeg: " + w + ")");
        return raster;
    }

    private static boolean endsWithEoi(byte[] d) {
        return d.length >= 2 && (d[d.length - 2] & 0xFF) == 0xFF && (d[d.length - 1] & 0xFF) == 0xD9;
    }

    /** Raw decoded components to RGB: grey replicated, YCbCr through jdcolor.c's ycc_rgb_convert, RGB as is. */
    private static RgbImage toRgb(Raster r, boolean ycbcr) {
        int w = r.getWidth(), h = r.getHeight(), bands = r.getNumBands();
        byte[] rgb = new byte[w * h * 3];
        int[] row = new int[w * bands];
        for (int y = 0, o = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++, o += 3) {
                if (bands == 1) {
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) row[x];
                } else if (ycbcr) {
                    int yy = row[3 * x], cb = row[3 * x + 1], cr = row[3 * x + 2];
                    rgb[o] = clamp(yy + CR_R[cr]);
                    rgb[o + 1] = clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                    rgb[o + 2] = clamp(yy + CB_B[cb]);
                } else {
                    for (int c = 0; c < 3; c++) rgb[o + c] = (byte) row[3 * x + c];
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    private static byte clamp(int v) { return (byte) (v < 0 ? 0 : Math.min(v, 255)); }
}
