package io.jswift.models.generate;

import io.jswift.models.tokenizer.StreamingDecoder;

import java.util.List;

/**
 * The text of one generated sequence as it streams: each id goes through the tokenizer's {@link StreamingDecoder}
 * (text appears once its UTF-8 characters are complete), and stop strings end the text before them (OpenAI and
 * vLLM leave the stop string out). While stop strings are set, the last (longest stop - 1) characters are held
 * back, since they may be the start of a stop string that the next ids complete (vLLM's detokenizer does the same).
 * Not thread-safe: one per sequence.
 */
public final class TextStream {
    private final StreamingDecoder decoder;
    private final List<String> stops;
    private final int holdBack;
    private final StringBuilder text = new StringBuilder();
    private int emitted;      // characters of text already given out
    private boolean stopped;

    public TextStream(StreamingDecoder decoder, List<String> stops) {
        for (String s : stops) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
        this.decoder = decoder;
        this.stops = List.copyOf(stops);
        this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /** Adds one generated id; returns the text that may be shown now (possibly empty). */
    public String push(int id) {
        if (stopped) throw new IllegalStateException("the text already ended at a stop string");
        String piece = decoder.step(id);
        if (piece == null) return "";
        int searchFrom = Math.max(0, text.length() - holdBack); // a stop ending earlier was found before
        text.append(piece);
        int cut = -1;
        for (String s : stops) {
            int at = text.indexOf(s, searchFrom);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            text.setLength(cut);
            stopped = true;
        }
        int safe = stopped ? text.length() : Math.max(emitted, text.length() - holdBack);
        return take(safe);
    }

    /** Ends the sequence: returns what was held back (nothing after a stop string). */
    public String finish() {
        return take(text.length());
    }

    private String take(int upTo) {
        String out = text.substring(emitted, Math.max(emitted, upTo));
        emitted = Math.max(emitted, upTo);
        return out;
    }

    /** True once a stop string was seen. */
    public boolean stopped() { return stopped; }

    /** The whole text so far (without a stop string and what followed it). */
    public String text() { return text.toString(); }
}
