package io.jswift.train.data;

import java.nio.file.Path;

/** A parsed row and where it came from (for error messages downstream, e.g. when it is too long). */
public record LocatedSample(Path file, long line, Sample sample) {
    public String where() { return file + ":" + line; }
}
