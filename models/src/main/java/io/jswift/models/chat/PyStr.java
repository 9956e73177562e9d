package io.jswift.models.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python 3 {@code str} semantics that chat templates rely on and Java's string methods get wrong: whitespace is
 * what {@code str.isspace()} accepts (Java's {@code trim} stops at U+0020 and {@code Character.isWhitespace}
 * rejects U+00A0, U+0085, U+2007, U+202F), lengths and strip sets count code points, not UTF-16 units.
 */
final class PyStr {
    private PyStr() {}

    /**
     * Python's {@code str.isspace()} for one code point: bidirectional class WS, B or S, or category Zs (CPython's
     * {@code _PyUnicode_IsWhitespace}; the table below is {@code [c for c in range(0x110000) if chr(c).isspace()]}).
     */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** {@code len(s)}: code points. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    /** {@code s.lstrip(chars)}; {@code chars} null strips whitespace. */
    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!strippable(cp, chars)) break;
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    /** {@code s.rstrip(chars)}; {@code chars} null strips whitespace. */
    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0) {
            int cp = s.codePointBefore(i);
            if (!strippable(cp, chars)) break;
            i -= Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    private static boolean strippable(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.codePoints().anyMatch(c -> c == cp);
    }

    /**
     * {@code s.split(sep, maxsplit)}: with a separator, exact matches keeping empty parts; without (null), runs of
     * whitespace with no empty parts. A negative {@code maxsplit} means no limit.
     */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep != null) {
            if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
            int at = 0, i;
            while ((maxsplit < 0 || out.size() < maxsplit) && (i = s.indexOf(sep, at)) >= 0) {
                out.add(s.substring(at, i));
                at = i + sep.length();
            }
            out.add(s.substring(at));
            return out;
        }
        int i = 0, n = s.length();
        while (true) {
            while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            if (i >= n) return out;
            if (maxsplit >= 0 && out.size() == maxsplit) { // the rest, leading whitespace removed, trailing kept
                out.add(s.substring(i));
                return out;
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
            out.add(s.substring(start, i));
        }
    }

    /** {@code s.replace(old, new, count)}; a negative count replaces all (Python's -1). */
    static String replace(String s, String target, String replacement, int count) {
        if (count < 0) return s.replace(target, replacement);
        StringBuilder out = new StringBuilder();
        int at = 0;
        for (int done = 0; done < count; done++) {
            int i;
            if (target.isEmpty()) { // Python inserts between code points (and at both ends)
                if (at > s.length()) break;
                out.append(replacement);
                if (at == s.length()) { at++; break; }
                int cp = s.codePointAt(at);
                out.appendCodePoint(cp);
                at += Character.charCount(cp);
                continue;
            }
            if ((i = s.indexOf(target, at)) < 0) break;
            out.append(s, at, i).append(replacement);
            at = i + target.length();
        }
        if (at <= s.length()) out.append(s, at, s.length());
        return out.toString();
    }

    /**
     * Jinja2's {@code title} filter (not Python's {@code str.title}): the text is split by the regex
     * {@code ([-\\s({\\[<]+)}, keeping the separators, and each piece becomes {@code item[0].upper() + item[1:].lower()}
     * (the rest lowered as one string, so a final sigma lowers as Python's does).
     */
    static String jinjaTitle(String s) {
        StringBuilder out = new StringBuilder();
        int i = 0, n = s.length();
        while (i < n) {
            int start = i;
            boolean separators = isTitleSeparator(s.codePointAt(i));
            while (i < n && isTitleSeparator(s.codePointAt(i)) == separators) i += Character.charCount(s.codePointAt(i));
            int firstEnd = start + Character.charCount(s.codePointAt(start));
            out.append(s.substring(start, firstEnd).toUpperCase(Locale.ROOT)).append(s.substring(firstEnd, i).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }

    private static boolean isTitleSeparator(int cp) {
        return isSpace(cp) || "-({[<".indexOf(cp) >= 0;
    }
}
