package io.jswift.models.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it for chat templates: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)} — separators ", " and ": ", non-ASCII kept,
 * keys in insertion order.
 */
final class PyJson implements Filter {
    @Override
    public String getName() { return "tojson"; }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        Integer indent = args.length > 0 && args[0] != null && !args[0].isBlank() ? Integer.valueOf(args[0].trim()) : null;
        StringBuilder sb = new StringBuilder();
        write(sb, var, indent, 0);
        return sb.toString();
    }

    static void write(StringBuilder sb, Object v, Integer indent, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 ? String.format("%.1f", d) : Double.toString(d));
        } else if (v instanceof Number n) {
            sb.append(n);
        } else if (v instanceof Map<?, ?> m) {
            container(sb, m.entrySet().iterator(), m.isEmpty(), '{', '}', indent, level, true);
        } else if (v instanceof List<?> l) {
            container(sb, l.iterator(), l.isEmpty(), '[', ']', indent, level, false);
        } else if (v instanceof Object[] a) {
            container(sb, List.of(a).iterator(), a.length == 0, '[', ']', indent, level, false);
        } else {
            string(sb, v.toString());
        }
    }

    private static void container(StringBuilder sb, Iterator<?> it, boolean empty, char open, char close, Integer indent, int level, boolean map) {
        sb.append(open);
        if (empty) {
            sb.append(close);
            return;
        }
        boolean first = true;
        while (it.hasNext()) {
            Object e = it.next();
            if (!first) sb.append(indent == null ? ", " : ",");
            first = false;
            if (indent != null) sb.append('\n').append(" ".repeat(indent * (level + 1)));
            if (map) {
                Map.Entry<?, ?> me = (Map.Entry<?, ?>) e;
                string(sb, String.valueOf(me.getKey()));
                sb.append(": ");
                write(sb, me.getValue(), indent, level + 1);
            } else {
                write(sb, e, indent, level + 1);
            }
        }
        if (indent != null) sb.append('\n').append(" ".repeat(indent * level));
        sb.append(close);
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
