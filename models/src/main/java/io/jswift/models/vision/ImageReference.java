package io.jswift.models.vision;

import io.jswift.models.vision.image.ImageFormatException;
import io.jswift.models.vision.image.ImageLoader;
import io.jswift.models.vision.image.RgbImage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Where a message's image comes from, as OpenAI-style content parts and ms-swift's {@code images} column name it: a
 * file path (relative paths resolve against {@code baseDir}: the messages or dataset file's directory), a
 * {@code file://} URL, or a {@code data:image/...;base64,} URL. Remote (http) URLs are refused: jswift reads no network.
 */
public final class ImageReference {
    private ImageReference() {}

    public static RgbImage load(String ref, Path baseDir) throws IOException {
        if (ref == null || ref.isBlank()) throw new IllegalArgumentException("an image part names no image (empty path or URL)");
        if (ref.startsWith("data:")) {
            int comma = ref.indexOf(',');
            if (comma < 0 || !ref.substring(0, comma).endsWith(";base64")) {
                throw new IllegalArgumentException("image data URL must be data:image/...;base64,<data>, got '" + abbreviated(ref) + "'");
            }
            byte[] bytes;
            try {
                bytes = Base64.getMimeDecoder().decode(ref.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                throw new ImageFormatException("data URL '" + abbreviated(ref) + "'", "invalid base64: " + e.getMessage());
            }
            return ImageLoader.decode(bytes, "data URL '" + abbreviated(ref) + "'");
        }
        if (ref.startsWith("http://") || ref.startsWith("https://")) {
            throw new IllegalArgumentException("image URL " + ref + ": remote images are not fetched; download it and give the file path");
        }
        Path path = ref.startsWith("file:") ? Path.of(URI.create(ref)) : Path.of(ref);
        if (!path.isAbsolute() && baseDir != null) path = baseDir.resolve(path);
        return ImageLoader.read(path.normalize());
    }

    private static String abbreviated(String s) { return s.length() <= 48 ? s : s.substring(0, 45) + "..."; }
}
