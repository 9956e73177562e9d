package io.jswift.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * String filters and methods in chat templates render as transformers' Jinja environment renders them
 * (tools/fixtures/py_string_fixtures.py): Unicode whitespace as Python's str.isspace(), lengths in code points,
 * split / replace with their count arguments, Jinja2's title.
 */
class PyStringGoldenTest {
    @Test
    void rendersLikeTransformersJinja() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(getClass().getResourceAsStream("/chat/py_strings.json"));
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String template = c.get("template").asText(), s = c.get("s").asText(), expected = c.get("expected").asText();
            String actual = new ChatTemplate(template, Map.of()).render(List.of(), false, null, Map.of("s", s));
            if (!expected.equals(actual)) failures.add(template + " on " + escape(s) + ": expected " + escape(expected) + ", got " + escape(actual));
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " differ:\n" + String.join("\n", failures));
    }

    @Test
    void whitespaceIsPythonsIsspace() {
        for (int cp : new int[]{0x09, 0x1C, 0x85, 0xA0, 0x1680, 0x2000, 0x2007, 0x200A, 0x2028, 0x202F, 0x205F, 0x3000}) {
            assertTrue(PyStr.isSpace(cp), Integer.toHexString(cp));
        }
        for (int cp : new int[]{0x08, 0x0E, 0x180E, 0x200B, 0xFEFF, 'a'}) assertEquals(false, PyStr.isSpace(cp), Integer.toHexString(cp));
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> b.append(cp < 0x20 || (cp >= 0x7F && cp < 0xA1) || Character.isSpaceChar(cp) && cp != ' '
                ? String.format("\\u%04x", cp) : new String(Character.toChars(cp))));
        return b.append('"').toString();
    }
}
