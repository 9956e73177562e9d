package io.jswift.models.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Python str methods as Jinjava filters ({@code py_split}, {@code py_strip}, ...): {@link TemplateSyntax}
 * rewrites {@code x.split('a')} to {@code (x|py_split('a'))}, and these give Python's exact semantics.
 */
final class PyStringFilters {
    private PyStringFilters() {}

    static List<Filter> all() {
        return List.of(
                filter("py_startswith", (s, a) -> s.startsWith(arg(a, 0))),
                filter("py_endswith", (s, a) -> s.endsWith(arg(a, 0))),
                filter("py_split", (s, a) -> split(s, a.length == 0 ? null : arg(a, 0))),
                filter("py_strip", (s, a) -> rstrip(lstrip(s, chars(a)), chars(a))),
                filter("py_lstrip", (s, a) -> lstrip(s, chars(a))),
                filter("py_rstrip", (s, a) -> rstrip(s, chars(a))),
                filter("py_replace", (s, a) -> s.replace(arg(a, 0), arg(a, 1))),
                filter("py_upper", (s, a) -> s.toUpperCase(java.util.Locale.ROOT)),
                filter("py_lower", (s, a) -> s.toLowerCase(java.util.Locale.ROOT)));
    }

    private interface Body {
        Object apply(String s, String[] args);
    }

    private static Filter filter(String name, Body body) {
        return new Filter() {
            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return body.apply(var == null ? "" : var.toString(), args);
            }

            @Override
            public String getName() { return name; }
        };
    }

    private static String arg(String[] a, int i) {
        if (a.length <= i) throw new IllegalArgumentException("missing argument " + (i + 1));
        return a[i];
    }

    /** Characters to strip, or null for whitespace. */
    private static String chars(String[] a) {
        return a.length == 0 || a[0] == null ? null : a[0];
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strippable(s.charAt(i - 1), chars)) i--;
        return s.substring(0, i);
    }

    /** str.split(sep): exact separator, keeping empty parts; without sep, runs of whitespace, no empty parts. */
    static List<String> split(String s, String sep) {
        if (sep == null) return new ArrayList<>(Arrays.asList(s.trim().isEmpty() ? new String[0] : s.trim().split("\\s+")));
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        List<String> out = new ArrayList<>();
        int at = 0, i;
        while ((i = s.indexOf(sep, at)) >= 0) {
            out.add(s.substring(at, i));
            at = i + sep.length();
        }
        out.add(s.substring(at));
        return out;
    }
}
