package io.jswift.models.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the few Python-isms of HF chat templates that Jinjava parses differently into equivalent Jinjava:
 * {@code x[::-1]} → {@code (x|reverse)}; named arguments of {@code namespace(...)} get parentheses
 * ({@code last_query_index=messages|length - 1} is otherwise parsed as {@code (name=value) - 1}); Python str
 * methods become filters with Python semantics ({@link PyStringFilters}); whitespace-control markers are
 * applied to the source.
 */
final class TemplateSyntax {
    private TemplateSyntax() {}

    private static final java.util.regex.Pattern METHOD =
            java.util.regex.Pattern.compile("\\.(startswith|endswith|split|strip|lstrip|rstrip|replace|upper|lower)\\(");

    static String toJinjava(String template) {
        return stringMethodsToFilters(parenthesizeNamespaceArgs(stripWhitespaceControl(
                template.replaceAll("(\\w+)\\[::-1\\]", "($1|reverse)"))));
    }

    /**
     * Jinja's {@code {{-}, {@code -}}}, {@code {%-}, {@code -%}}, {@code {#-}, {@code -#}} remove all whitespace on
     * that side; Jinjava ignores the marker on expressions and comments, so the whitespace is removed here, in the
     * source, for all six (GPT-OSS's template separates its sections by {@code {#- ... #}} comments).
     */
    static String stripWhitespaceControl(String t) {
        return t.replaceAll("\\s*\\{\\{-", "{{").replaceAll("-}}\\s*", "}}")
                .replaceAll("\\s*\\{%-", "{%").replaceAll("-%}\\s*", "%}")
                .replaceAll("\\s*\\{#-", "{#").replaceAll("-#}\\s*", "#}");
    }

    /** RECEIVER.method(ARGS) → (RECEIVER|py_method(ARGS)) for Python str methods, innermost calls first. */
    private static String stringMethodsToFilters(String t) {
        while (true) {
            java.util.regex.Matcher m = METHOD.matcher(t);
            int found = -1;
            String method = null;
            while (m.find()) {
                found = m.start();
                method = m.group(1);
            } // rewrite the last occurrence first so receivers that contain calls are already rewritten
            if (found < 0) return t;
            int recvStart = receiverStart(t, found);
            int open = found + method.length() + 1;
            int close = matchingParen(t, open);
            if (recvStart < 0 || close < 0) return t;
            String receiver = t.substring(recvStart, found), args = t.substring(open + 1, close);
            String filter = "py_" + method + (args.isBlank() ? "" : "(" + args + ")");
            t = t.substring(0, recvStart) + "(" + receiver + "|" + filter + ")" + t.substring(close + 1);
        }
    }

    /** Start of the expression ending at {@code end}: an identifier chain with dots and [..] subscripts, or a (...) group. */
    private static int receiverStart(String t, int end) {
        int i = end;
        while (i > 0) {
            char c = t.charAt(i - 1);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                int depth = 0;
                int j = i - 1;
                for (; j >= 0; j--) {
                    char d = t.charAt(j);
                    if (d == ']' || d == ')') depth++;
                    else if ((d == '[' || d == '(') && --depth == 0) break;
                }
                if (j < 0) return -1;
                i = j;
            } else {
                break;
            }
        }
        return i < end ? i : -1;
    }

    private static String parenthesizeNamespaceArgs(String t) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int start = t.indexOf("namespace(", at);
            if (start < 0) break;
            int open = start + "namespace(".length();
            int close = matchingParen(t, open - 1);
            if (close < 0) break;
            out.append(t, at, open);
            List<String> args = splitTopLevel(t.substring(open, close));
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                int eq = a.indexOf('=');
                if (i > 0) out.append(", ");
                out.append(eq > 0 && a.substring(0, eq).trim().matches("\\w+")
                        ? a.substring(0, eq).trim() + "=(" + a.substring(eq + 1).trim() + ")" : a.trim());
            }
            out.append(')');
            at = close + 1;
        }
        return out.append(t.substring(at)).toString();
    }

    private static int matchingParen(String t, int openIndex) {
        int depth = 0;
        char quote = 0;
        for (int i = openIndex; i < t.length(); i++) {
            char c = t.charAt(i);
            if (quote != 0) {
                if (c == quote && t.charAt(i - 1) != '\\') quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0, from = 0;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote && s.charAt(i - 1) != '\\') quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(s.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(s.substring(from));
        return parts;
    }
}
