package io.jswift.models.vision.image;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Baseline and progressive 8-bit JPEG (greyscale or YCbCr / RGB) to RGB, through the JDK's ImageIO reader (IJG libjpeg
 * 6b: integer "islow" IDCT, fancy chroma upsampling, table-driven YCbCr to RGB, the same algorithms libjpeg-turbo runs
 * under Pillow). The colour-converted raster samples are read directly: {@code BufferedImage.getRGB()} would pass them
 * through a colour-space conversion (it shifts greys by tens of levels).
 *
 * <p>Refused with a clear error: CMYK / YCCK (4 components), 12-bit, lossless, hierarchical and arithmetic-coded files,
 * and any file libjpeg warns about (truncated or corrupt data, which it would otherwise fill with grey).
 */
final class JpegDecoder {
    private JpegDecoder() {}

    static boolean sniff(byte[] data) {
        return data.length >= 3 && (data[0] & 0xFF) == 0xFF && (data[1] & 0xFF) == 0xD8 && (data[2] & 0xFF) == 0xFF;
    }

    /** What the marker scan finds before the first scan: the frame header and the first APP1 "Exif" block. */
    private record Markers(int sof, int precision, int components, byte[] exif) {}

    static DecodedImage decode(byte[] data, String source) throws ImageFormatException {
        if (!sniff(data)) throw new ImageFormatException(source, "not a JPEG file (no SOI marker)");
        Markers m = scan(data, source);
        if (m.sof != 0xC0 && m.sof != 0xC1 && m.sof != 0xC2)
            throw new ImageFormatException(source, "unsupported JPEG coding (SOF marker 0x" + Integer.toHexString(m.sof)
                    + ": lossless, hierarchical or arithmetic-coded); only baseline and progressive Huffman JPEG are read");
        if (m.precision != 8) throw new ImageFormatException(source, "unsupported " + m.precision + "-bit JPEG; only 8-bit samples are read");
        if (m.components == 4) throw new ImageFormatException(source, "CMYK / YCCK JPEG is not supported; convert the image to RGB");
        if (m.components != 1 && m.components != 3)
            throw new ImageFormatException(source, "unsupported JPEG with " + m.components + " components");
        return new DecodedImage(read(data, source), m.exif);
    }

    private static Markers scan(byte[] d, String source) throws ImageFormatException {
        int at = 2, sof = -1, precision = 0, components = 0;
        byte[] exif = null;
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
                return new Markers(sof, precision, components, exif);
            }
            boolean isSof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (isSof && sof < 0) {
                if (bodyLen < 6) throw new ImageFormatException(source, "corrupt JPEG: short frame header");
                sof = marker;
                precision = d[body] & 0xFF;
                components = d[body + 5] & 0xFF;
            }
            // Pillow keeps the first APP1 that starts with "Exif\0\0" as info["exif"]
            if (marker == 0xE1 && exif == null && bodyLen >= 6 && d[body] == 'E' && d[body + 1] == 'x' && d[body + 2] == 'i'
                    && d[body + 3] == 'f' && d[body + 4] == 0 && d[body + 5] == 0)
                exif = Arrays.copyOfRange(d, body + 6, body + bodyLen);
            at += length;
        }
    }

    private static RgbImage read(byte[] data, String source) throws ImageFormatException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        if (!readers.hasNext()) throw new ImageFormatException(source, "this JVM has no ImageIO JPEG reader");
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        BufferedImage image;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            image = reader.read(0);
        } catch (IOException | RuntimeException e) {
            String why = e instanceof IIOException ? e.getMessage() : e.toString();
            throw new ImageFormatException(source, (endsWithEoi(data) ? "corrupt JPEG" : "JPEG file is truncated (no end-of-image marker)")
                    + ": libjpeg says " + why, e);
        } finally {
            reader.dispose();
        }
        // libjpeg reports a truncated or corrupt stream as a warning and fills the rest with grey; Pillow raises.
        if (!warnings.isEmpty()) throw new ImageFormatException(source, (endsWithEoi(data) ? "corrupt JPEG" : "JPEG file is truncated")
                + " (libjpeg: " + warnings.getFirst() + ")");
        return samples(image, source);
    }

    private static boolean endsWithEoi(byte[] d) {
        return d.length >= 2 && (d[d.length - 2] & 0xFF) == 0xFF && (d[d.length - 1] & 0xFF) == 0xD9;
    }

    private static RgbImage samples(BufferedImage image, String source) throws ImageFormatException {
        Raster r = image.getRaster();
        int w = r.getWidth(), h = r.getHeight(), bands = r.getNumBands();
        int csType = image.getColorModel().getColorSpace().getType();
        if (!((bands == 1 && csType == ColorSpace.TYPE_GRAY) || (bands == 3 && csType == ColorSpace.TYPE_RGB)))
            throw new ImageFormatException(source, "unsupported JPEG colour layout (" + bands + " bands)");
        byte[] rgb = new byte[w * h * 3];
        if (r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModel() instanceof ComponentSampleModel sm
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0 && db.getNumBanks() == 1) {
            byte[] buf = db.getData();
            int[] off = sm.getBandOffsets();
            int px = sm.getPixelStride(), line = sm.getScanlineStride(), base = db.getOffset();
            for (int y = 0, o = 0; y < h; y++) {
                int row = base + y * line;
                for (int x = 0; x < w; x++, o += 3) {
                    int p = row + x * px;
                    for (int c = 0; c < 3; c++) rgb[o + c] = buf[p + off[bands == 1 ? 0 : c]];
                }
            }
        } else {
            int[] px = r.getPixels(0, 0, w, h, (int[]) null);
            for (int i = 0, o = 0; i < w * h; i++, o += 3)
                for (int c = 0; c < 3; c++) rgb[o + c] = (byte) px[i * bands + (bands == 1 ? 0 : c)];
        }
        return new RgbImage(w, h, rgb);
    }
}
