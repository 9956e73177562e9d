package io.jswift.train.data;

import java.nio.file.Path;

/** A dataset problem located as {@code file:line: reason} (line 0 when the whole file is at fault). */
public final class DatasetException extends IllegalArgumentException {
    private final Path file;
    private final long line;
    private final String reason;

    public DatasetException(Path file, long line, String reason) {
        super(line > 0 ? file + ":" + line + ": " + reason : file + ": " + reason);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public Path file() { return file; }

    public long line() { return line; }

    /** The message without its {@code file:line: } prefix. */
    public String reason() { return reason; }
}
