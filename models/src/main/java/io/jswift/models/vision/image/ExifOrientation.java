package io.jswift.models.vision.image;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * EXIF orientation as transformers' {@code load_image} applies it through {@code PIL.ImageOps.exif_transpose}: tag
 * 0x0112 of IFD0 (or XMP's tiff:Orientation when the EXIF has no such tag, as Pillow's getexif() falls back), values
 * 2..8 mapped to a flip / rotation / transposition; anything else (1, absent, out of range, unreadable EXIF) leaves
 * the image as stored.
 */
final class ExifOrientation {
    /** No orientation found. */
    static final int ABSENT = -1;
    private static final int ORIENTATION_TAG = 0x0112;
    /** Pillow's pattern (Image.getexif): one digit after the attribute or element form. */
    private static final Pattern XMP_ORIENTATION = Pattern.compile("tiff:Orientation(=\"|>)([0-9])");

    private ExifOrientation() {}

    /**
     * The orientation tag's value in a TIFF-structured EXIF block ("II*\0" or "MM\0*" header; a leading "Exif\0\0" is
     * skipped), or {@link #ABSENT}. Malformed EXIF counts as absent rather than failing the image: the pixels are fine.
     */
    static int read(byte[] exif) {
        if (exif == null) return ABSENT;
        int base = exif.length >= 6 && exif[0] == 'E' && exif[1] == 'x' && exif[2] == 'i' && exif[3] == 'f' ? 6 : 0;
        if (exif.length < base + 8) return ABSENT;
        boolean little;
        if (exif[base] == 'I' && exif[base + 1] == 'I') little = true;
        else if (exif[base] == 'M' && exif[base + 1] == 'M') little = false;
        else return ABSENT;
        long ifd = base + u32(exif, base + 4, little);
        if (ifd + 2 > exif.length) return ABSENT;
        int entries = u16(exif, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int at = (int) ifd + 2 + 12 * i;
            if (at + 12 > exif.length) return ABSENT;
            if (u16(exif, at, little) != ORIENTATION_TAG) continue;
            int type = u16(exif, at + 2, little);
            // SHORT (3) per the standard; LONG (4) seen in the wild. The value sits in the entry's first bytes.
            int value = type == 4 ? (int) u32(exif, at + 8, little) : u16(exif, at + 8, little);
            return value;
        }
        return ABSENT;
    }

    /** XMP's tiff:Orientation digit, or {@link #ABSENT}. */
    static int fromXmp(byte[] xmp) {
        if (xmp == null) return ABSENT;
        Matcher m = XMP_ORIENTATION.matcher(new String(xmp, StandardCharsets.ISO_8859_1));
        return m.find() ? m.group(2).charAt(0) - '0' : ABSENT;
    }

    /** The image with orientation {@code o} undone, as PIL's Transpose methods lay out their pixels. */
    static RgbImage apply(RgbImage in, int o) {
        if (o < 2 || o > 8) return in;
        int w = in.width(), h = in.height();
        boolean swap = o >= 5; // TRANSPOSE, ROTATE_270, TRANSVERSE, ROTATE_90 exchange width and height
        int ow = swap ? h : w, oh = swap ? w : h;
        byte[] out = new byte[in.rgb().length];
        byte[] src = in.rgb();
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (o) {
                    case 2 -> { sx = w - 1 - x; sy = y; }          // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }  // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }          // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                  // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }          // ROTATE_270 (90 degrees clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }  // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }         // 8: ROTATE_90 (counter-clockwise)
                }
                System.arraycopy(src, (sy * w + sx) * 3, out, (y * ow + x) * 3, 3);
            }
        }
        return new RgbImage(ow, oh, out);
    }

    private static int u16(byte[] b, int at, boolean little) {
        int b0 = b[at] & 0xFF, b1 = b[at + 1] & 0xFF;
        return little ? b0 | b1 << 8 : b0 << 8 | b1;
    }

    private static long u32(byte[] b, int at, boolean little) {
        long lo = u16(b, little ? at : at + 2, little), hi = u16(b, little ? at + 2 : at, little);
        return hi << 16 | lo;
    }
}
