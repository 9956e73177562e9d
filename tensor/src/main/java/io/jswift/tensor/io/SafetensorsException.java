package io.jswift.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file (or sharded checkpoint) that cannot be read: the message names the file and the problem. */
public final class SafetensorsException extends IOException {
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
