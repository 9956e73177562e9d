package io.jswift.serve.api;

import java.util.List;

/**
 * {@link ToolCalls} for a reply that arrives in pieces (one choice of a stream): content is passed on as it comes,
 * except a trailing piece that could be the start of {@code <tool_call>} (held back until it is known); from the first
 * {@code <tool_call>} on, the text is kept and parsed when the reply ends. So the content streamed and the calls sent
 * at the end are exactly what {@link ToolCalls#parse} gives for the whole reply (a reply whose blocks are not calls
 * streams its tool text as content at the end).
 */
final class ToolCallStream {
    private final boolean parallel;
    private final StringBuilder text = new StringBuilder();
    private int passed;          // text[0, passed) went out as content
    private boolean inCalls;     // a <tool_call> began at passed

    ToolCallStream(boolean parallel) {
        this.parallel = parallel;
    }

    /** Takes the next piece of the reply; returns the content that can go out now (possibly empty). */
    String accept(String piece) {
        text.append(piece);
        if (inCalls) return "";
        int open = text.indexOf(ToolCalls.OPEN, passed);
        int upTo = open >= 0 ? open : text.length() - heldBack();
        inCalls = open >= 0;
        String out = text.substring(passed, upTo);
        passed = upTo;
        return out;
    }

    /** The reply ended: the content still held, and the calls (empty when there are none). */
    ToolCalls.Parsed finish() {
        String rest = text.substring(passed);
        passed = text.length();
        if (!inCalls) return new ToolCalls.Parsed(rest, List.of());
        List<ToolCalls.Call> calls = ToolCalls.blocks(rest, parallel);
        return calls == null ? new ToolCalls.Parsed(rest, List.of()) : new ToolCalls.Parsed("", calls);
    }

    /** The length of the longest end of the text that is a proper beginning of {@code <tool_call>}. */
    private int heldBack() {
        String tag = ToolCalls.OPEN;
        for (int k = Math.min(tag.length() - 1, text.length() - passed); k > 0; k--) {
            if (text.substring(text.length() - k).equals(tag.substring(0, k))) return k;
        }
        return 0;
    }
}
