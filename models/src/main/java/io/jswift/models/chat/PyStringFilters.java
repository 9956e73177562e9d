package io.jswift.models.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.filter.LengthFilter;

import java.util.List;
import java.util.Locale;

/**
 * Python str methods as Jinjava filters ({@code py_split}, {@code py_strip}, ...): {@link TemplateSyntax}
 * rewrites {@code x.split('a')} to {@code (x|py_split('a'))}, and these give Python's exact semantics
 * ({@link PyStr}). Also Jinja2's own filters where Jinjava's differ from them: {@code trim} (Jinja2: Python's
 * {@code str.strip(chars)}; Jinjava's stops at U+0020, keeping e.g. a trailing U+3000), {@code length} of a string
 * (code points, not UTF-16 units) and {@code title} (Jinja2's word-splitting rule).
 */
final class PyStringFilters {
    private PyStringFilters() {}

    static List<Filter> all() {
        return List.of(
                filter("py_startswith", (s, a) -> s.startsWith(arg(a, 0))),
                filter("py_endswith", (s, a) -> s.endsWith(arg(a, 0))),
                filter("py_split", (s, a) -> PyStr.split(s, a.length == 0 ? null : a[0], intArg(a, 1, -1))),
                filter("py_strip", (s, a) -> PyStr.strip(s, chars(a))),
                filter("py_lstrip", (s, a) -> PyStr.lstrip(s, chars(a))),
                filter("py_rstrip", (s, a) -> PyStr.rstrip(s, chars(a))),
                filter("py_replace", (s, a) -> PyStr.replace(s, arg(a, 0), arg(a, 1), intArg(a, 2, -1))),
                filter("py_upper", (s, a) -> s.toUpperCase(Locale.ROOT)),
                filter("py_lower", (s, a) -> s.toLowerCase(Locale.ROOT)),
                filter("trim", (s, a) -> PyStr.strip(s, chars(a))),
                filter("title", (s, a) -> PyStr.jinjaTitle(s)),
                new StringLength());
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

    /** Jinja2's {@code length}: {@code len(x)}, which for a string counts code points (an emoji is 1, not 2). */
    private static final class StringLength extends LengthFilter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return var instanceof String s ? (Object) PyStr.length(s) : super.filter(var, interpreter, args);
        }
    }

    private static String arg(String[] a, int i) {
        if (a.length <= i) throw new IllegalArgumentException("missing argument " + (i + 1));
        return a[i];
    }

    private static int intArg(String[] a, int i, int absent) {
        if (a.length <= i || a[i] == null) return absent;
        try {
            return (int) Double.parseDouble(a[i]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("argument " + (i + 1) + " must be an integer, got '" + a[i] + "'");
        }
    }

    /** Characters to strip, or null for whitespace. */
    private static String chars(String[] a) {
        return a.length == 0 || a[0] == null ? null : a[0];
    }
}
