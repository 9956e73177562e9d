package io.jswift.models.vision.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads an image file as transformers' {@code load_image} does: {@code PIL.Image.open}, {@code ImageOps.exif_transpose},
 * {@code convert("RGB")}. PNG and JPEG are read; any other content is refused with the file named.
 */
public final class ImageLoader {
    /** Larger images are refused before decoding, where Pillow raises DecompressionBombError (2 x its 89.5 Mpx warning). */
    static final long MAX_PIXELS = 178_956_970L;

    private ImageLoader() {}

    static void checkSize(long width, long height, String source) throws ImageFormatException {
        if (width * height > MAX_PIXELS)
            throw new ImageFormatException(source, "image of " + width + "x" + height + " pixels is larger than " + MAX_PIXELS + " pixels");
    }

    public static RgbImage read(Path path) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path + ": image file does not exist");
        } catch (IOException e) {
            throw new ImageFormatException(path.toString(), "cannot read image file: " + e.getMessage(), e);
        }
        return decode(data, path.toString());
    }

    /** Decodes image bytes (a data: URL's payload, an HTTP body); {@code source} names them in errors. */
    public static RgbImage decode(byte[] data, String source) throws ImageFormatException {
        DecodedImage decoded;
        if (PngDecoder.sniff(data)) decoded = PngDecoder.decode(data, source);
        else if (JpegDecoder.sniff(data)) decoded = JpegDecoder.decode(data, source);
        else throw new ImageFormatException(source, "not a PNG or JPEG image" + otherFormat(data));
        return ExifOrientation.apply(decoded.pixels(), decoded.orientation());
    }

    /** Names a recognised but unsupported format, so the user knows what to convert. */
    private static String otherFormat(byte[] d) {
        if (d.length == 0) return " (the file is empty)";
        if (starts(d, "GIF8")) return " (it is a GIF)";
        if (starts(d, "BM")) return " (it is a BMP)";
        if (starts(d, "RIFF") && d.length >= 12 && new String(d, 8, 4, StandardCharsets.ISO_8859_1).equals("WEBP")) return " (it is a WebP)";
        if (starts(d, "II*\0") || starts(d, "MM\0*")) return " (it is a TIFF)";
        return "";
    }

    private static boolean starts(byte[] d, String magic) {
        if (d.length < magic.length()) return false;
        for (int i = 0; i < magic.length(); i++) if (d[i] != (byte) magic.charAt(i)) return false;
        return true;
    }
}
