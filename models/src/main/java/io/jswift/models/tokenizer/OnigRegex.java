package io.jswift.models.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Patterns of tokenizer.json are Oniguruma regexes (HF tokenizers compiles them with onig). The ones models ship
 * (GPT-2, Llama 3, Qwen2, cl100k / o200k styles) use {@code \p{L}}, {@code \p{N}}, {@code (?i:...)},
 * {@code \s+(?!\S)}, possessive {@code ?+ ++ *+} and atomic groups, which java.util.regex reads the same way once
 * {@code \s}, {@code \w}, {@code \d} and case folding are made Unicode-aware (onig's UTF-8 classes are Unicode:
 * {@code \s} is the White_Space property, as Java's UNICODE_CHARACTER_CLASS). Two spellings differ and are
 * rewritten here: a property Java only knows with an {@code Is} prefix ({@code \p{Han}} → {@code \p{IsHan}}), and
 * onig's {@code \h} (a hex digit; in Java it means horizontal space).
 */
final class OnigRegex {
    private OnigRegex() {}

    static Pattern compile(String onig, JsonSpec where) {
        try {
            return Pattern.compile(translate(onig), Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw where.error("regex cannot be read by java.util.regex: " + e.getDescription() + " in " + onig);
        }
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 16);
        boolean inClass = false;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                char n = p.charAt(i + 1);
                if ((n == 'p' || n == 'P') && i + 2 < p.length() && p.charAt(i + 2) == '{') {
                    int close = p.indexOf('}', i + 3);
                    if (close > 0) {
                        out.append(property(n, p.substring(i + 3, close)));
                        i = close;
                        continue;
                    }
                }
                if (n == 'h' || n == 'H') {
                    boolean neg = n == 'H';
                    out.append(inClass && !neg ? "0-9a-fA-F" : neg ? "[^0-9a-fA-F]" : "[0-9a-fA-F]");
                    i++;
                    continue;
                }
                out.append(c).append(n);
                i++;
                continue;
            }
            if (c == '[') inClass = true;
            else if (c == ']') inClass = false;
            out.append(c);
        }
        return out.toString();
    }

    /** {@code \p{Name}} as Java spells it; onig's {@code \p{^Name}} is the complement. */
    private static String property(char pOrP, String name) {
        boolean negate = pOrP == 'P';
        if (name.startsWith("^")) {
            negate = !negate;
            name = name.substring(1);
        }
        String head = negate ? "\\P{" : "\\p{";
        for (String candidate : new String[]{name, "Is" + name, "In" + name}) {
            try {
                Pattern.compile(head + candidate + "}");
                return head + candidate + "}";
            } catch (PatternSyntaxException ignored) {
                // try the next spelling
            }
        }
        return head + name + "}"; // let compile() report it with the whole pattern
    }
}
