package io.jswift.models.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json's {@code added_tokens}, found in the text before the model sees it, as HF tokenizers'
 * AddedVocabulary.extract_and_normalize: first the tokens with normalized = false are matched in the raw text;
 * each stretch between them is normalized; then the tokens with normalized = true (their content normalized the
 * same way) are matched in those stretches. Matching is leftmost-longest (aho-corasick's LeftmostLongest), and
 * a match obeys the token's flags: single_word (no word char right before or after), lstrip / rstrip (the
 * whitespace on that side joins the token).
 */
final class AddedVocabulary {
    /** One entry of added_tokens; {@code matchText} is the content, normalized when {@code normalized}. */
    record Token(int id, String content, String matchText, boolean special, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized) {}

    /**
     * A stretch of the input: an added token ({@code id >= 0}) or text for the pre-tokenizer and model, whose
     * first {@code startSpan} chars stem from offset 0 of the input (see PreTokenizer.Piece).
     */
    record Segment(int id, String text, int startSpan) {}

    private final List<Token> tokens;
    private final Trie raw, normalizedTrie;

    AddedVocabulary(List<Token> tokens) {
        this.tokens = tokens;
        raw = new Trie();
        normalizedTrie = new Trie();
        for (Token t : tokens) (t.normalized() ? normalizedTrie : raw).add(t);
    }

    List<Token> tokens() {
        return tokens;
    }

    /** Splits {@code text} into added tokens and normalized text, in order; empty stretches are dropped. */
    List<Segment> extract(String text, Normalizer normalizer) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : split(text, raw, 1)) {
            if (s.id() >= 0) {
                out.add(s);
                continue;
            }
            String normalized = normalizer.normalize(s.text());
            int span = 0; // how many normalized chars the input's first char became
            if (s.startSpan() > 0 && !normalized.isEmpty()) {
                span = Math.max(1, normalizer.normalize(Character.toString(s.text().codePointAt(0))).length());
            }
            for (Segment t : split(normalized, normalizedTrie, span)) if (t.id() >= 0 || !t.text().isEmpty()) out.add(t);
        }
        return out;
    }

    /** HF AddedVocabulary::find_matches on one string. */
    private static List<Segment> split(String s, Trie trie, int startSpan) {
        List<Segment> out = new ArrayList<>();
        int done = 0; // end of the last accepted token
        int from = 0; // where the matcher resumes (the end of the last match, accepted or not)
        while (true) {
            Trie.Match m = trie.find(s, from);
            if (m == null) break;
            from = m.end();
            Token t = m.token();
            int start = m.start(), stop = m.end();
            if (t.singleWord()) {
                boolean wordBefore = start > 0 && Unicode.isWordChar(s.codePointBefore(start));
                boolean wordAfter = stop < s.length() && Unicode.isWordChar(s.codePointAt(stop));
                if (wordBefore || wordAfter) continue;
            }
            if (t.lstrip()) {
                while (start > done && Unicode.isWhiteSpace(s.codePointBefore(start))) start -= Character.charCount(s.codePointBefore(start));
            }
            if (t.rstrip()) {
                while (stop < s.length() && Unicode.isWhiteSpace(s.codePointAt(stop))) stop += Character.charCount(s.codePointAt(stop));
            }
            if (start < done) continue; // overlaps whitespace an rstrip token already took
            if (start > done) out.add(new Segment(-1, s.substring(done, start), Math.max(0, startSpan - done)));
            out.add(new Segment(t.id(), s.substring(start, stop), Math.max(0, startSpan - start)));
            done = stop;
            from = Math.max(from, stop);
        }
        if (done < s.length()) out.add(new Segment(-1, s.substring(done), Math.max(0, startSpan - done)));
        return out;
    }

    /** A char trie over the tokens' match texts, searched leftmost-longest. */
    private static final class Trie {
        record Match(int start, int end, Token token) {}

        private static final class Node {
            final Map<Character, Node> next = new HashMap<>(4);
            Token token;
        }

        private final Node root = new Node();

        void add(Token t) {
            if (t.matchText().isEmpty()) return;
            Node n = root;
            for (int i = 0; i < t.matchText().length(); i++) n = n.next.computeIfAbsent(t.matchText().charAt(i), k -> new Node());
            if (n.token == null) n.token = t; // the first of two tokens with the same text wins
        }

        Match find(String s, int from) {
            if (root.next.isEmpty()) return null;
            for (int start = from; start < s.length(); start++) {
                Node n = root.next.get(s.charAt(start));
                if (n == null) continue;
                int end = -1;
                Token best = null;
                for (int i = start + 1; ; i++) {
                    if (n.token != null) {
                        best = n.token;
                        end = i;
                    }
                    if (i >= s.length()) break;
                    n = n.next.get(s.charAt(i));
                    if (n == null) break;
                }
                if (best != null) return new Match(start, end, best);
            }
            return null;
        }
    }
}
