package io.jswift.train.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Streams the rows of one dataset file: JSON Lines (one object per line, blank lines skipped) or a JSON
 * array of objects (read element by element, never whole). A malformed row fails with {@code file:line:
 * reason}; with {@code skipBadRows} it is counted and skipped instead.
 */
public final class DatasetFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final boolean skipBadRows;
    private long skipped;

    public DatasetFile(Path file, boolean skipBadRows) {
        this.file = file;
        this.skipBadRows = skipBadRows;
    }

    public Path file() { return file; }

    /** Rows skipped as malformed during the last {@link #forEach}. */
    public long skipped() { return skipped; }

    public void forEach(Consumer<LocatedSample> sink) {
        skipped = 0;
        if (!Files.isRegularFile(file)) throw new DatasetException(file, 0, "no such dataset file");
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            in.mark(1 << 16);
            int first;
            do {
                first = in.read();
            } while (first == ' ' || first == '\n' || first == '\r' || first == '\t' || first == 0xFEFF);
            in.reset();
            if (first == '[') readArray(in, sink);
            else readLines(in, sink);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, 0, "no such dataset file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DatasetException(file, 0, "not valid UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private void readLines(BufferedReader in, Consumer<LocatedSample> sink) throws IOException {
        String line;
        long number = 0;
        while ((line = in.readLine()) != null) {
            number++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                bad(number, "not valid JSON: " + e.getOriginalMessage());
                continue;
            }
            emit(number, node, sink);
        }
    }

    private void readArray(BufferedReader in, Consumer<LocatedSample> sink) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new DatasetException(file, 1, "expected a JSON array of rows");
            while (true) {
                JsonToken t;
                long line;
                try {
                    t = p.nextToken();
                    line = p.currentTokenLocation().getLineNr();
                    if (t == JsonToken.END_ARRAY) break;
                    if (t == null) throw new DatasetException(file, p.currentLocation().getLineNr(), "unexpected end of file inside the JSON array");
                    emit(line, JSON.readTree(p), sink);
                } catch (JsonProcessingException e) {
                    // A syntax error inside an array cannot be skipped reliably: the parser has lost its place.
                    throw new DatasetException(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                            "not valid JSON: " + e.getOriginalMessage());
                }
            }
        }
    }

    private void emit(long line, JsonNode node, Consumer<LocatedSample> sink) {
        Sample s;
        try {
            s = RowParser.parse(node);
        } catch (IllegalArgumentException e) {
            bad(line, e.getMessage());
            return;
        }
        sink.accept(new LocatedSample(file, line, s));
    }

    private void bad(long line, String reason) {
        if (!skipBadRows) throw new DatasetException(file, line, reason + " (use --skip_bad_rows to skip such rows)");
        skipped++;
    }
}
