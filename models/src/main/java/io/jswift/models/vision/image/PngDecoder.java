package io.jswift.models.vision.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * PNG to RGB exactly as Pillow opens the file and {@code convert("RGB")}s it. Every colour type and bit depth, Adam7
 * interlacing, all five row filters; chunk CRCs are checked (Pillow rejects a bad CRC too).
 *
 * <p>How Pillow's modes become RGB (PngImagePlugin's mode table, then Convert.c):
 * <ul>
 * <li>grey 1 bit: mode "1", 0 / 255; 2 and 4 bits: "L;2" / "L;4" unpackers scale to 0..255 (x 85, x 17); 8 bits as is;
 *     16 bits: mode "I;16", whose conversion to RGB <em>clips</em> at 255 (a value of 256 or more becomes 255, it is not
 *     scaled).</li>
 * <li>RGB, grey+alpha, RGBA at 16 bits: the "...;16B" unpackers keep the high byte.</li>
 * <li>palette: the PLTE colour; an index past the end of a short PLTE is black.</li>
 * <li>alpha (an alpha channel or tRNS) is dropped, not composited onto a background.</li>
 * </ul>
 */
final class PngDecoder {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** Adam7 passes: x0, y0, dx, dy. */
    private static final int[][] ADAM7 = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

    private PngDecoder() {}

    static boolean sniff(byte[] data) {
        if (data.length < SIGNATURE.length) return false;
        for (int i = 0; i < SIGNATURE.length; i++) if (data[i] != SIGNATURE[i]) return false;
        return true;
    }

    /** The header fields that decide the pixel layout. */
    private record Header(int width, int height, int bitDepth, int colorType, boolean interlaced) {
        int channels() {
            return switch (colorType) { case 0, 3 -> 1; case 2 -> 3; case 4 -> 2; default -> 4; };
        }

        /** Bytes per complete pixel for the filters (at least 1). */
        int filterStride() { return Math.max(1, channels() * bitDepth / 8); }

        long rowBytes(int pixels) { return ((long) pixels * channels() * bitDepth + 7) / 8; }
    }

    static DecodedImage decode(byte[] data, String source) throws ImageFormatException {
        if (!sniff(data)) throw new ImageFormatException(source, "not a PNG file (bad signature)");
        Header header = null;
        byte[] palette = null;
        byte[] exif = null, xmp = null, rawExif = null;
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        int at = SIGNATURE.length;
        boolean ended = false;
        CRC32 crc = new CRC32();
        while (!ended) {
            if (at == data.length) break; // no IEND: accepted when the image data is complete, as Pillow does
            if (at + 12 > data.length) throw truncated(source, "a chunk header is cut short");
            long length = u32(data, at);
            String type = new String(data, at + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > data.length - at - 12) throw truncated(source, "chunk " + type + " is cut short");
            int body = at + 8, len = (int) length;
            crc.reset();
            crc.update(data, at + 4, 4 + len);
            if (crc.getValue() != u32(data, body + len)) throw new ImageFormatException(source, "corrupt PNG: bad CRC in chunk " + type);
            switch (type) {
                case "IHDR" -> header = header(data, body, len, source);
                case "PLTE" -> palette = Arrays.copyOfRange(data, body, body + len - len % 3);
                case "IDAT" -> idat.write(data, body, len);
                case "eXIf" -> exif = Arrays.copyOfRange(data, body, body + len);
                case "tEXt", "zTXt", "iTXt" -> { // later entries replace earlier ones, as in Pillow's info dict
                    PngText.Entry t = PngText.parse(type, data, body, len);
                    if (t != null && t.keyword().equals(PngText.XMP)) xmp = t.value();
                    if (t != null && t.keyword().equals(PngText.RAW_EXIF)) rawExif = t.value();
                }
                case "IEND" -> ended = true;
                default -> {
                    // tRNS, gAMA, cHRM, iCCP, sRGB, text...: Pillow's convert("RGB") ignores them, so do we.
                    if (Character.isUpperCase(type.charAt(0)))
                        throw new ImageFormatException(source, "unsupported critical PNG chunk " + type);
                }
            }
            if (header == null && !type.equals("IHDR")) throw new ImageFormatException(source, "corrupt PNG: first chunk is " + type + ", not IHDR");
            at = body + len + 4;
        }
        if (header == null) throw truncated(source, "no IHDR chunk");
        if (header.colorType == 3 && palette == null) throw new ImageFormatException(source, "corrupt PNG: palette image without a PLTE chunk");
        byte[] raw = inflate(idat.toByteArray(), expectedRawBytes(header), source);
        if (exif == null && rawExif != null) exif = PngText.rawProfile(rawExif); // Pillow's getexif() fallback
        return new DecodedImage(toRgb(header, raw, palette, source), exif, xmp);
    }

    private static Header header(byte[] d, int at, int len, String source) throws ImageFormatException {
        if (len != 13) throw new ImageFormatException(source, "corrupt PNG: IHDR has " + len + " bytes, not 13");
        long w = u32(d, at), h = u32(d, at + 4);
        int depth = d[at + 8] & 0xFF, type = d[at + 9] & 0xFF, interlace = d[at + 12] & 0xFF;
        if (w == 0 || h == 0 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE)
            throw new ImageFormatException(source, "corrupt PNG: image size " + w + "x" + h);
        ImageLoader.checkSize(w, h, source);
        boolean ok = switch (type) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
        if (!ok) throw new ImageFormatException(source, "unsupported PNG colour type " + type + " with bit depth " + depth);
        if (d[at + 10] != 0 || d[at + 11] != 0 || interlace > 1)
            throw new ImageFormatException(source, "unsupported PNG compression / filter / interlace method");
        return new Header((int) w, (int) h, depth, type, interlace == 1);
    }

    private static long expectedRawBytes(Header h) {
        long total = 0;
        for (int[] p : passes(h)) if (p[4] > 0 && p[5] > 0) total += p[5] * (1 + h.rowBytes(p[4]));
        return total;
    }

    /** Each pass as {x0, y0, dx, dy, width, height}; one full-image pass when not interlaced. */
    private static int[][] passes(Header h) {
        if (!h.interlaced) return new int[][]{{0, 0, 1, 1, h.width, h.height}};
        int[][] out = new int[7][];
        for (int i = 0; i < 7; i++) {
            int[] a = ADAM7[i];
            out[i] = new int[]{a[0], a[1], a[2], a[3], (h.width - a[0] + a[2] - 1) / a[2], (h.height - a[1] + a[3] - 1) / a[3]};
        }
        return out;
    }

    private static byte[] inflate(byte[] compressed, long expected, String source) throws ImageFormatException {
        if (expected > Integer.MAX_VALUE - 16) throw new ImageFormatException(source, "image too large to decode");
        byte[] out = new byte[(int) expected];
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            int n = 0;
            while (n < out.length) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) break;
                n += got;
            }
            if (n < out.length) throw truncated(source, "image data ends after " + n + " of " + out.length + " bytes");
            return out;
        } catch (DataFormatException e) {
            throw new ImageFormatException(source, "corrupt PNG image data: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    private static RgbImage toRgb(Header h, byte[] raw, byte[] palette, String source) throws ImageFormatException {
        byte[] rgb = new byte[h.width * h.height * 3];
        int stride = h.filterStride();
        int pos = 0;
        for (int[] p : passes(h)) {
            int pw = p[4], ph = p[5];
            if (pw == 0 || ph == 0) continue;
            int rowBytes = (int) h.rowBytes(pw);
            byte[] prev = new byte[rowBytes], cur = new byte[rowBytes];
            for (int y = 0; y < ph; y++) {
                int filter = raw[pos] & 0xFF;
                System.arraycopy(raw, pos + 1, cur, 0, rowBytes);
                pos += 1 + rowBytes;
                unfilter(filter, cur, prev, stride, source);
                int oy = p[1] + y * p[3];
                for (int x = 0; x < pw; x++) writePixel(h, cur, x, palette, rgb, (oy * h.width + p[0] + x * p[2]) * 3);
                byte[] t = prev; prev = cur; cur = t;
            }
        }
        return new RgbImage(h.width, h.height, rgb);
    }

    private static void unfilter(int filter, byte[] cur, byte[] prev, int bpp, String source) throws ImageFormatException {
        switch (filter) {
            case 0 -> {}
            case 1 -> { for (int i = bpp; i < cur.length; i++) cur[i] += cur[i - bpp]; }
            case 2 -> { for (int i = 0; i < cur.length; i++) cur[i] += prev[i]; }
            case 3 -> {
                for (int i = 0; i < cur.length; i++) {
                    int a = i >= bpp ? cur[i - bpp] & 0xFF : 0;
                    cur[i] += (byte) ((a + (prev[i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 0; i < cur.length; i++) {
                    int a = i >= bpp ? cur[i - bpp] & 0xFF : 0, b = prev[i] & 0xFF, c = i >= bpp ? prev[i - bpp] & 0xFF : 0;
                    int pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
                    cur[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw new ImageFormatException(source, "corrupt PNG: row filter type " + filter);
        }
    }

    /** Sample {@code i} (pixel x channel, in row order) of an unfiltered row, as stored (0..2^depth - 1). */
    private static int sample(byte[] row, int i, int depth) {
        return switch (depth) {
            case 8 -> row[i] & 0xFF;
            case 16 -> (row[2 * i] & 0xFF) << 8 | row[2 * i + 1] & 0xFF;
            default -> {
                int perByte = 8 / depth;
                int shift = 8 - depth * (i % perByte + 1);
                yield (row[i / perByte] >> shift) & ((1 << depth) - 1);
            }
        };
    }

    private static void writePixel(Header h, byte[] row, int x, byte[] palette, byte[] rgb, int o) {
        int depth = h.bitDepth, ch = h.channels();
        switch (h.colorType) {
            case 3 -> {
                int idx = sample(row, x, depth) * 3;
                boolean inPalette = idx + 2 < palette.length;
                for (int c = 0; c < 3; c++) rgb[o + c] = inPalette ? palette[idx + c] : 0;
            }
            case 0, 4 -> { // grey, grey + alpha: the grey sample is channel 0
                int v = sample(row, x * ch, depth);
                int g = switch (depth) {
                    case 1 -> v * 255;
                    case 2 -> v * 85;
                    case 4 -> v * 17;
                    case 8 -> v;
                    default -> h.colorType == 0 ? Math.min(v, 255) : v >>> 8; // "I;16" clips; "LA;16B" keeps the high byte
                };
                rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) g;
            }
            default -> { // RGB, RGBA: channels 0..2
                for (int c = 0; c < 3; c++) {
                    int v = sample(row, x * ch + c, depth);
                    rgb[o + c] = (byte) (depth == 16 ? v >>> 8 : v);
                }
            }
        }
    }

    private static ImageFormatException truncated(String source, String what) {
        return new ImageFormatException(source, "PNG file is truncated (" + what + ")");
    }

    private static long u32(byte[] b, int at) {
        return (long) (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }
}
