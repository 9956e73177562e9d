package io.jswift.models.vision.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The two PNG text entries that carry orientation for Pillow's {@code getexif()}: "XML:com.adobe.xmp" (XMP) and
 * "Raw profile type exif" (ImageMagick's hex-encoded EXIF), from tEXt, zTXt or iTXt chunks. An entry that does not
 * parse is skipped, as the pixels do not depend on it.
 */
final class PngText {
    static final String XMP = "XML:com.adobe.xmp", RAW_EXIF = "Raw profile type exif";
    private static final int MAX_TEXT = 1 << 24;

    private PngText() {}

    /** A text chunk's keyword and value bytes. */
    record Entry(String keyword, byte[] value) {}

    /** The entry in chunk {@code type} ("tEXt", "zTXt", "iTXt") at d[at, at + len), or null when malformed. */
    static Entry parse(String type, byte[] d, int at, int len) {
        int end = at + len, nul = indexOf(d, at, end);
        if (nul < 0) return null;
        String keyword = new String(d, at, nul - at, StandardCharsets.ISO_8859_1);
        int p = nul + 1;
        switch (type) {
            case "tEXt" -> { return new Entry(keyword, Arrays.copyOfRange(d, p, end)); }
            case "zTXt" -> {
                if (p >= end || d[p] != 0) return null;
                byte[] v = inflate(d, p + 1, end);
                return v == null ? null : new Entry(keyword, v);
            }
            default -> { // iTXt: compression flag, method, language\0, translated keyword\0, text
                if (p + 2 > end) return null;
                int flag = d[p] & 0xFF, method = d[p + 1] & 0xFF;
                int lang = indexOf(d, p + 2, end);
                int translated = lang < 0 ? -1 : indexOf(d, lang + 1, end);
                if (translated < 0) return null;
                if (flag == 0) return new Entry(keyword, Arrays.copyOfRange(d, translated + 1, end));
                if (method != 0) return null;
                byte[] v = inflate(d, translated + 1, end);
                return v == null ? null : new Entry(keyword, v);
            }
        }
    }

    /** ImageMagick's layout: "\nexif\n   LENGTH\n" then hex lines; Pillow joins the lines from the fourth on. */
    static byte[] rawProfile(byte[] text) {
        String[] lines = new String(text, StandardCharsets.ISO_8859_1).split("\n", -1);
        if (lines.length < 4) return null;
        String hex = String.join("", Arrays.copyOfRange(lines, 3, lines.length)).replaceAll("\\s", "");
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int indexOf(byte[] d, int from, int end) {
        for (int i = from; i < end; i++) if (d[i] == 0) return i;
        return -1;
    }

    private static byte[] inflate(byte[] d, int from, int end) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(d, from, end - from);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) return null;
                out.write(buf, 0, n);
                if (out.size() > MAX_TEXT) return null;
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }
}
