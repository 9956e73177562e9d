package io.jswift.models.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Oniguruma spellings that java.util.regex reads differently (the golden tests cover the patterns models ship). */
class OnigRegexTest {
    private static List<String> matches(String onig, String text) {
        Matcher m = OnigRegex.compile(onig, new JsonSpec("tokenizer.json", "pre_tokenizer.pattern.Regex", null)).matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void scriptPropertiesAndHexDigits() {
        assertEquals(List.of("中文", "漢字"), matches("\\p{Han}+", "a中文b漢字"));
        assertEquals(List.of("ab", "12"), matches("[\\h]+", "ab-12-xyz"));
        assertEquals(List.of("0f", "C"), matches("\\h+", "0fxC"));
        assertEquals(List.of("x", "-"), matches("\\H+", "0fxC-"));
    }

    @Test
    void whitespaceIsUnicodeWhiteSpaceAsInOniguruma() {
        assertEquals(List.of("\u00a0\u3000"), matches("\\s+", "a\u00a0\u3000b"));
        assertEquals(List.of("ſ"), matches("(?i:s)", "ſ"), "case folding is Unicode-aware");
    }

    @Test
    void unreadablePatternNamesWhereItIs() {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> matches("\\p{NoSuchScript}", "x"));
        assertTrue(e.getMessage().startsWith("tokenizer.json: pre_tokenizer.pattern.Regex regex cannot be read"), e.getMessage());
        assertTrue(Pattern.compile(OnigRegex.translate("a\\\\h")).matcher("a\\h").matches(), "an escaped backslash is not \\h");
    }
}
