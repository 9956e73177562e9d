package io.jswift.train.grpo;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ms-swift's {@code accuracy} (MathAccuracy): 1 when the completion's final answer equals the row's
 * {@code solution}, else 0 (also 0 when the solution has no answer to read). What is reproduced of its math_verify
 * check: the answer is the content of the first {@code <answer>…</answer>} when there is one (in the completion and
 * in the solution alike), else the whole text; a completion without an answer tag counts only through a
 * {@code \boxed{…}} (math_verify's boxed-first extraction without anchors); inside, the last {@code \boxed{…}} is
 * taken when present. Two answers are equal when both read as numbers (integers, decimals, thousands commas,
 * a/b, \frac{a}{b}, a trailing %) within 1e-6 relative, else when their normalized LaTeX strings are equal
 * (without $, spaces, \left / \right, \text{…} wrappers, \dfrac / \tfrac spelled \frac, a final period).
 * Not reproduced: symbolic equivalence (sympy simplification of expressions, sets, intervals, matrices).
 */
public record AccuracyReward() implements RewardFunction {
    private static final Pattern ANSWER = Pattern.compile("<answer>(.*?)</answer>", Pattern.DOTALL);
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d{1,3}(,\\d{3})+|\\d+)(\\.\\d+)?|[-+]?\\.\\d+");
    private static final Pattern FRACTION = Pattern.compile("([-+]?)\\\\frac\\{([^{}]+)\\}\\{([^{}]+)\\}");

    @Override
    public String name() { return "accuracy"; }

    @Override
    public double[] score(List<Sample> completions) {
        double[] out = new double[completions.size()];
        for (int i = 0; i < out.length; i++) {
            Sample s = completions.get(i);
            out[i] = correct(s.completion(), s.text("solution", name())) ? 1 : 0;
        }
        return out;
    }

    static boolean correct(String completion, String solution) {
        String gold = extract(solution, true);
        if (gold == null || gold.isEmpty()) return false;
        String answer = extract(completion, false);
        return answer != null && !answer.isEmpty() && equal(answer, gold);
    }

    /** The answer text of a completion or solution, or null when there is none to read. */
    static String extract(String text, boolean plainAllowed) {
        Matcher m = ANSWER.matcher(text);
        boolean tagged = m.find();
        String inner = tagged ? m.group(1).strip() : text;
        String boxed = lastBoxed(inner);
        if (boxed != null) return normalize(boxed);
        return tagged || plainAllowed ? normalize(inner) : null;
    }

    /** The content of the last \boxed{…} (braces balanced), or null. */
    static String lastBoxed(String text) {
        int at = text.lastIndexOf("\\boxed{");
        if (at < 0) return null;
        int depth = 0;
        for (int i = at + "\\boxed".length(); i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return text.substring(at + "\\boxed{".length(), i);
        }
        return null;
    }

    static String normalize(String s) {
        String t = s.replace("\\left", "").replace("\\right", "").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
                .replace("\\!", "").replace("\\,", "").replace("$", "");
        t = t.replaceAll("\\\\text\\{([^{}]*)\\}", "$1").replaceAll("\\\\mathrm\\{([^{}]*)\\}", "$1");
        t = t.replaceAll("\\s+", "");
        if (t.endsWith(".")) t = t.substring(0, t.length() - 1);
        return t;
    }

    static boolean equal(String a, String b) {
        Double x = number(a), y = number(b);
        if (x != null && y != null) return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));
        return a.equals(b);
    }

    /** The value of a plain number, a/b or \frac{a}{b} (optionally followed by %), or null. */
    static Double number(String s) {
        String t = s.endsWith("\\%") ? s.substring(0, s.length() - 2) : s.endsWith("%") ? s.substring(0, s.length() - 1) : s;
        if (NUMBER.matcher(t).matches()) return Double.parseDouble(t.replace(",", ""));
        Matcher f = FRACTION.matcher(t);
        if (f.matches()) return ratio(f.group(1) + f.group(2), f.group(3));
        int slash = t.indexOf('/');
        if (slash > 0 && slash == t.lastIndexOf('/')) return ratio(t.substring(0, slash), t.substring(slash + 1));
        return null;
    }

    private static Double ratio(String num, String den) {
        if (!NUMBER.matcher(num).matches() || !NUMBER.matcher(den).matches()) return null;
        double d = Double.parseDouble(den.replace(",", ""));
        return d == 0 ? null : Double.parseDouble(num.replace(",", "")) / d;
    }
}
