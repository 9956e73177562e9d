package io.jswift.train.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Streams the rows of one dataset file: JSON Lines (one object per line, blank lines skipped) or a JSON
 * array of objects (read element by element, never whole). A malformed row fails with {@code file:line:
 * reason}; with {@code skipBadRows} it is counted and skipped instead. Rows are read as bytes so that each
 * one's byte range can be kept ({@link #forEachRow}) and the row re-read later ({@link #readAt}) without
 * holding the file in memory.
 */
public final class DatasetFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 1 << 16;
    private final Path file;
    private final boolean skipBadRows;
    private long skipped;

    /** Receives one parsed row and where its bytes lie in the file. */
    @FunctionalInterface
    public interface RowSink {
        void accept(LocatedSample row, long offset, int length);
    }

    public DatasetFile(Path file, boolean skipBadRows) {
        this.file = file;
        this.skipBadRows = skipBadRows;
    }

    public Path file() { return file; }

    /** Rows skipped as malformed during the last {@link #forEach} / {@link #forEachRow}. */
    public long skipped() { return skipped; }

    public void forEach(Consumer<LocatedSample> sink) {
        forEachRow((row, offset, length) -> sink.accept(row));
    }

    /** Every well-formed row in file order, with its byte offset and length (for {@link #readAt}). */
    public void forEachRow(RowSink sink) {
        skipped = 0;
        if (!Files.isRegularFile(file)) throw new DatasetException(file, 0, "no such dataset file");
        try (InputStream in = Files.newInputStream(file)) {
            ByteScanner scan = new ByteScanner(in);
            if (scan.firstNonSpace() == '[') readArray(sink);
            else readLines(scan, sink);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, 0, "no such dataset file");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The row whose bytes {@link #forEachRow} reported at {@code offset}/{@code length} (on {@code line}), parsed
     * again. A row that no longer parses means the file changed since it was indexed: that is an error even
     * with skipBadRows.
     */
    public LocatedSample readAt(long offset, int length, long line) {
        byte[] bytes = new byte[length];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new DatasetException(file, line, "the file is shorter than when it was indexed (changed during the run?)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        try {
            return new LocatedSample(file, line, RowParser.parse(JSON.readTree(bytes)));
        } catch (JsonProcessingException e) {
            throw new DatasetException(file, line, "not valid JSON any more (changed during the run?): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(file, line, e.getMessage() + " (the file changed during the run?)");
        }
    }

    private void readLines(ByteScanner scan, RowSink sink) throws IOException {
        long number = 0;
        ByteScanner.Line line;
        while ((line = scan.nextLine()) != null) {
            number++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line.bytes(), line.start(), line.length());
            } catch (JsonProcessingException e) {
                bad(number, "not valid JSON: " + e.getOriginalMessage());
                continue;
            }
            emit(number, node, line.fileOffset(), line.length(), sink);
        }
    }

    private void readArray(RowSink sink) throws IOException {
        // Jackson reads the bytes itself (skipping a UTF-8 byte-order mark) and reports byte offsets from the file start.
        try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new DatasetException(file, 1, "expected a JSON array of rows");
            while (true) {
                try {
                    JsonToken t = p.nextToken();
                    long line = p.currentTokenLocation().getLineNr();
                    long start = p.currentTokenLocation().getByteOffset();
                    if (t == JsonToken.END_ARRAY) break;
                    if (t == null) throw new DatasetException(file, p.currentLocation().getLineNr(), "unexpected end of file inside the JSON array");
                    JsonNode node = JSON.readTree(p);
                    long end = p.currentLocation().getByteOffset();
                    if (end - start > Integer.MAX_VALUE) throw new DatasetException(file, line, "a row of more than 2 GiB");
                    emit(line, node, start, (int) (end - start), sink);
                } catch (JsonProcessingException e) {
                    // A syntax error inside an array cannot be skipped reliably: the parser has lost its place.
                    throw new DatasetException(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                            "not valid JSON: " + e.getOriginalMessage());
                }
            }
        }
    }

    private void emit(long line, JsonNode node, long offset, int length, RowSink sink) {
        Sample s;
        try {
            s = RowParser.parse(node);
        } catch (IllegalArgumentException e) {
            bad(line, e.getMessage());
            return;
        }
        sink.accept(new LocatedSample(file, line, s), offset, length);
    }

    private void bad(long line, String reason) {
        if (!skipBadRows) throw new DatasetException(file, line, reason + " (use --skip_bad_rows to skip such rows)");
        skipped++;
    }

    /** Splits a byte stream into lines ('\n', an ending '\r' dropped), keeping each line's offset in the file. */
    private static final class ByteScanner {
        record Line(byte[] bytes, int start, int length, long fileOffset) {
            boolean isBlank() {
                for (int i = start; i < start + length; i++) {
                    byte b = bytes[i];
                    if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0B) return false;
                }
                return true;
            }
        }

        private final InputStream in;
        private byte[] buf = new byte[CHUNK];
        private int pos, limit;
        private long bufferOffset; // file offset of buf[0]
        private boolean eof;

        ByteScanner(InputStream in) throws IOException {
            this.in = in;
            fill();
            if (limit >= 3 && (buf[0] & 0xFF) == 0xEF && (buf[1] & 0xFF) == 0xBB && (buf[2] & 0xFF) == 0xBF) pos = 3; // UTF-8 BOM
        }

        /** The first byte that is not JSON whitespace, or -1 at end of file (looks ahead without consuming). */
        int firstNonSpace() throws IOException {
            for (int k = 0; ; k++) { // k counts from pos, which fill() may move
                while (pos + k >= limit) {
                    if (eof) return -1;
                    fill();
                }
                byte b = buf[pos + k];
                if (b != ' ' && b != '\n' && b != '\r' && b != '\t') return b;
            }
        }

        Line nextLine() throws IOException {
            int from = pos;
            while (true) {
                for (int i = from; i < limit; i++) {
                    if (buf[i] == '\n') {
                        Line l = line(pos, i);
                        pos = i + 1;
                        return l;
                    }
                }
                from = limit;
                if (eof) {
                    if (pos >= limit) return null;
                    Line l = line(pos, limit);
                    pos = limit;
                    return l;
                }
                int scanned = from - pos;
                fill();
                from = pos + scanned;
            }
        }

        private Line line(int start, int end) {
            int len = end - start;
            if (len > 0 && buf[end - 1] == '\r') len--;
            return new Line(buf, start, len, bufferOffset + start);
        }

        /** Appends more bytes after the unconsumed part (moved to the front; the buffer grows for long lines). */
        private void fill() throws IOException {
            int keep = limit - pos;
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, keep);
                bufferOffset += pos;
                pos = 0;
                limit = keep;
            }
            if (limit == buf.length) buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) eof = true;
            else limit += n;
        }
    }
}
