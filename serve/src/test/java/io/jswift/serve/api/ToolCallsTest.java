package io.jswift.serve.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hermes tool-call blocks read from a whole reply and from the same reply in pieces give the same content and calls. */
class ToolCallsTest {
    private static final String CALL = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"°C\"}}\n</tool_call>";
    private static final String CALL2 = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";

    @Test
    void contentBeforeTheFirstBlockAndEachBlockAsACall() {
        ToolCalls.Parsed p = ToolCalls.parse("Let me check.\n" + CALL + "\n" + CALL2, true);
        assertEquals("Let me check.\n", p.content());
        assertEquals(2, p.calls().size());
        assertEquals("get_weather", p.calls().get(0).name());
        assertEquals("{\"city\":\"Paris\",\"unit\":\"°C\"}", p.calls().get(0).arguments(), "arguments come back as a JSON string, non-ASCII kept");
        assertEquals("{}", p.calls().get(1).arguments());
        assertTrue(p.calls().get(0).id().matches("call_[0-9a-f]{24}"), p.calls().get(0).id());
        assertEquals(1, ToolCalls.parse(CALL + CALL2, false).calls().size(), "parallel_tool_calls false keeps the first");
        assertNull(ToolCalls.parse(CALL, true).content(), "no text before the call: content null, as vLLM");
    }

    @Test
    void anUnclosedLastBlockStillParsesAndABrokenBlockMakesItAllContent() {
        ToolCalls.Parsed cut = ToolCalls.parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n", true);
        assertEquals(List.of("f"), cut.calls().stream().map(ToolCalls.Call::name).toList());
        for (String broken : List.of("ok " + CALL + "<tool_call>{\"name\": \"g\", \"argu", "<tool_call>{\"name\": \"g\"}</tool_call>",
                "<tool_call>[1, 2]</tool_call>", "<tool_call>{\"name\": 3, \"arguments\": {}}</tool_call>",
                "<tool_call>{\"name\": \"g\", \"arguments\": {}} trailing</tool_call>", "<tool_call></tool_call>")) {
            ToolCalls.Parsed p = ToolCalls.parse(broken, true);
            assertEquals(broken, p.content(), broken);
            assertEquals(List.of(), p.calls(), broken);
        }
        assertEquals("plain text, no tools", ToolCalls.parse("plain text, no tools", true).content());
        assertEquals("", ToolCalls.parse("", true).content());
    }

    @Test
    void aStreamedReplyGivesWhatTheWholeReplyGives() {
        List<String> replies = List.of("no calls at all < > <tool", "Let me check.\n" + CALL, CALL + "\n" + CALL2, "a<tool_cal" + "l>x",
                "<<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": \"<tool_call>\"}}", "ok " + CALL + "<tool_call>{broken", "<tool_cal");
        Random r = new Random(3);
        for (String reply : replies) {
            ToolCalls.Parsed whole = ToolCalls.parse(reply, true);
            for (int trial = 0; trial < 60; trial++) {
                List<String> pieces = split(reply, r, trial < 20 ? 1 : 1 + r.nextInt(6));
                ToolCallStream s = new ToolCallStream(true);
                StringBuilder content = new StringBuilder();
                for (String piece : pieces) {
                    String out = s.accept(piece);
                    content.append(out);
                    assertTrue(!out.contains("<tool_call>") || whole.calls().isEmpty(), "a call's text leaked as content: " + reply);
                }
                ToolCalls.Parsed end = s.finish();
                content.append(end.content());
                assertEquals(whole.content() == null ? "" : whole.content(), content.toString(), reply + " in " + pieces);
                assertEquals(whole.calls().stream().map(c -> c.name() + c.arguments()).toList(),
                        end.calls().stream().map(c -> c.name() + c.arguments()).toList(), reply);
            }
        }
    }

    @Test
    void aPossibleTagStartIsHeldBackUntilKnown() {
        ToolCallStream s = new ToolCallStream(true);
        assertEquals("abc", s.accept("abc<tool"));
        assertEquals("<toolbox", s.accept("box"));
        assertEquals(" ", s.accept(" <"), "the space goes, the '<' waits");
        assertEquals("", s.accept("tool_call>{\"name\": \"f\", \"arguments\": {}}"), "'<' turned out to begin a call: not content");
        assertEquals(1, s.finish().calls().size());
    }

    /** The reply cut at random places (maxLen 1: one character per piece). */
    private static List<String> split(String s, Random r, int maxLen) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            int n = Math.min(s.length() - i, 1 + r.nextInt(maxLen));
            out.add(s.substring(i, i + n));
            i += n;
        }
        return out;
    }
}
