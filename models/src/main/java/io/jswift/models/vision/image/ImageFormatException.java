package io.jswift.models.vision.image;

import java.io.IOException;

/** An image file that cannot be decoded: unreadable, truncated, corrupt or of an unsupported kind. The message names the file. */
public final class ImageFormatException extends IOException {
    public ImageFormatException(String source, String reason) {
        super(source + ": " + reason);
    }

    public ImageFormatException(String source, String reason, Throwable cause) {
        super(source + ": " + reason, cause);
    }
}
