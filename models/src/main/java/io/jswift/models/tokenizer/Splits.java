package io.jswift.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HF tokenizers' NormalizedString.split: a pattern cuts a string into segments that are matches or not (a regex's
 * matches; for a char test, every char that passes is its own match), then a SplitDelimiterBehavior decides what
 * becomes of the matches. Empty pieces are dropped, as PreTokenizedString.split does.
 */
final class Splits {
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private Splits() {}

    static Behavior behavior(JsonSpec spec) {
        String b = spec.requiredText("behavior");
        return switch (b) {
            case "Removed" -> Behavior.REMOVED;
            case "Isolated" -> Behavior.ISOLATED;
            case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> Behavior.CONTIGUOUS;
            default -> throw spec.get("behavior").error("'" + b + "' is not a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
        };
    }

    /** Segments {start, end, isMatch} covering {@code s}, cut at the regex's matches. */
    static List<int[]> byRegex(String s, Pattern p) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() > prev) out.add(new int[]{prev, m.start(), 0});
            out.add(new int[]{m.start(), m.end(), 1});
            prev = m.end();
        }
        if (prev < s.length()) out.add(new int[]{prev, s.length(), 0});
        return out;
    }

    /** Segments cut at every code point that passes {@code test} (each such code point is one match). */
    static List<int[]> byChar(String s, IntPredicate test) {
        List<int[]> out = new ArrayList<>();
        int prev = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i), n = Character.charCount(cp);
            if (test.test(cp)) {
                if (i > prev) out.add(new int[]{prev, i, 0});
                out.add(new int[]{i, i + n, 1});
                prev = i + n;
            }
            i += n;
        }
        if (prev < s.length()) out.add(new int[]{prev, s.length(), 0});
        return out;
    }

    /** Applies the behavior (matches first inverted if asked) and adds the non-empty pieces to {@code out}. */
    static void apply(PreTokenizer.Piece piece, List<int[]> segments, Behavior behavior, boolean invert, List<PreTokenizer.Piece> out) {
        if (invert) for (int[] seg : segments) seg[2] = 1 - seg[2];
        List<int[]> kept = new ArrayList<>(); // {start, end}
        boolean previousMatch = false;
        switch (behavior) {
            case ISOLATED -> { for (int[] seg : segments) kept.add(seg); }
            case REMOVED -> { for (int[] seg : segments) if (seg[2] == 0) kept.add(seg); }
            case MERGED_WITH_PREVIOUS -> {
                for (int[] seg : segments) {
                    if (seg[2] == 1 && !previousMatch && !kept.isEmpty()) kept.getLast()[1] = seg[1];
                    else kept.add(new int[]{seg[0], seg[1]});
                    previousMatch = seg[2] == 1;
                }
            }
            case MERGED_WITH_NEXT -> { // HF folds from the right: a match joins the piece after it
                for (int i = segments.size() - 1; i >= 0; i--) {
                    int[] seg = segments.get(i);
                    if (seg[2] == 1 && !previousMatch && !kept.isEmpty()) kept.getLast()[0] = seg[0];
                    else kept.add(new int[]{seg[0], seg[1]});
                    previousMatch = seg[2] == 1;
                }
                java.util.Collections.reverse(kept);
            }
            case CONTIGUOUS -> {
                for (int[] seg : segments) {
                    if (seg[2] == (previousMatch ? 1 : 0) && !kept.isEmpty()) kept.getLast()[1] = seg[1];
                    else kept.add(new int[]{seg[0], seg[1]});
                    previousMatch = seg[2] == 1;
                }
            }
        }
        for (int[] k : kept) {
            if (k[1] > k[0]) out.add(new PreTokenizer.Piece(piece.text().substring(k[0], k[1]), Math.max(0, piece.startSpan() - k[0])));
        }
    }
}
