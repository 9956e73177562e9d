package io.jswift.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * tokenizer.json's {@code pre_tokenizer}: cuts each normalized stretch of text into the words the BPE model sees
 * one at a time. Mirrors HF tokenizers' pre_tokenizers (Split, ByteLevel, Metaspace, Digits, Whitespace,
 * WhitespaceSplit, Punctuation, BertPreTokenizer, Sequence); each step maps a piece to pieces.
 */
@FunctionalInterface
interface PreTokenizer {
    String SUPPORTED = "Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, Sequence";

    /** GPT-2's pattern, used by ByteLevel with use_regex = true (HF pre_tokenizers/byte_level.rs). */
    Pattern GPT2 = OnigRegex.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", new JsonSpec("", "", null));
    Pattern WHITESPACE_WORDS = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);

    /**
     * A stretch of text; its first {@code startSpan} chars come from offset 0 of the input (0: it starts later).
     * Metaspace's prepend_scheme "first" looks at that, as HF checks offsets_original().0 == 0; a span longer
     * than 1 comes from normalization (NFKC makes "½" three chars, all aligned to the first char of the input).
     */
    record Piece(String text, int startSpan) {
        boolean atStart() {
            return startSpan > 0;
        }
    }

    void split(Piece piece, List<Piece> out);

    PreTokenizer NONE = (piece, out) -> out.add(piece);

    static PreTokenizer from(JsonSpec spec) {
        if (spec.isNull()) return NONE;
        String type = spec.type();
        return switch (type) {
            case "Sequence" -> sequence(spec.list("pretokenizers").stream().map(PreTokenizer::from).toList());
            case "Split" -> {
                Pattern pattern = Unicode.pattern(spec.get("pattern"));
                Splits.Behavior behavior = Splits.behavior(spec);
                boolean invert = spec.bool("invert", false);
                yield (piece, out) -> Splits.apply(piece, Splits.byRegex(piece.text(), pattern), behavior, invert, out);
            }
            case "ByteLevel" -> byteLevel(spec.bool("add_prefix_space", true), spec.bool("use_regex", true));
            case "Metaspace" -> metaspace(spec);
            case "Digits" -> {
                Splits.Behavior behavior = spec.bool("individual_digits", false) ? Splits.Behavior.ISOLATED : Splits.Behavior.CONTIGUOUS;
                yield (piece, out) -> Splits.apply(piece, Splits.byChar(piece.text(), Unicode::isNumeric), behavior, false, out);
            }
            case "Whitespace" -> (piece, out) -> Splits.apply(piece, Splits.byRegex(piece.text(), WHITESPACE_WORDS), Splits.Behavior.REMOVED, true, out);
            case "WhitespaceSplit" -> PreTokenizer::whitespaceSplit;
            case "Punctuation" -> {
                Splits.Behavior behavior = spec.get("behavior").isNull() ? Splits.Behavior.ISOLATED : Splits.behavior(spec);
                yield (piece, out) -> Splits.apply(piece, Splits.byChar(piece.text(), Unicode::isPunctuation), behavior, false, out);
            }
            case "BertPreTokenizer" -> (piece, out) -> {
                List<Piece> words = new ArrayList<>();
                whitespaceSplit(piece, words);
                for (Piece w : words) Splits.apply(w, Splits.byChar(w.text(), Unicode::isPunctuation), Splits.Behavior.ISOLATED, false, out);
            };
            default -> throw spec.unsupported(type, SUPPORTED);
        };
    }

    private static void whitespaceSplit(Piece piece, List<Piece> out) {
        Splits.apply(piece, Splits.byChar(piece.text(), Unicode::isWhiteSpace), Splits.Behavior.REMOVED, false, out);
    }

    private static PreTokenizer sequence(List<PreTokenizer> steps) {
        return (piece, out) -> {
            List<Piece> current = List.of(piece);
            for (PreTokenizer step : steps) {
                List<Piece> next = new ArrayList<>();
                for (Piece p : current) step.split(p, next);
                current = next;
            }
            out.addAll(current);
        };
    }

    /**
     * ByteLevel (HF pre_tokenizers/byte_level.rs): a space is prepended to every piece that does not start with
     * one when add_prefix_space, the GPT-2 regex splits it when use_regex, then each piece's UTF-8 bytes are
     * written as GPT-2's printable chars.
     */
    private static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        return (piece, out) -> {
            Piece p = addPrefixSpace && !piece.text().startsWith(" ") ? new Piece(" " + piece.text(), piece.atStart() ? piece.startSpan() + 1 : 0) : piece;
            List<Piece> parts = new ArrayList<>();
            if (useRegex) Splits.apply(p, Splits.byRegex(p.text(), GPT2), Splits.Behavior.ISOLATED, false, parts);
            else parts.add(p);
            for (Piece part : parts) out.add(new Piece(ByteLevel.encode(part.text()), part.startSpan()));
        };
    }

    /**
     * Metaspace (HF pre_tokenizers/metaspace.rs): spaces become the replacement char (▁), which is prepended
     * per prepend_scheme (always; first = only to the piece at offset 0; never), then with split the text is cut
     * before every ▁ (behavior MergedWithNext).
     */
    private static PreTokenizer metaspace(JsonSpec spec) {
        String replacement = spec.requiredText("replacement");
        if (replacement.codePointCount(0, replacement.length()) != 1) throw spec.get("replacement").error("must be one char");
        String scheme = spec.text("prepend_scheme", null);
        if (scheme == null) scheme = spec.bool("add_prefix_space", true) ? "always" : "never"; // files before prepend_scheme
        if (!List.of("always", "first", "never").contains(scheme)) throw spec.get("prepend_scheme").error("'" + scheme + "' is not one of always, first, never");
        String prepend = scheme;
        boolean split = spec.bool("split", true);
        int rep = replacement.codePointAt(0);
        return (piece, out) -> {
            String s = piece.text().replace(" ", replacement);
            boolean add = switch (prepend) {
                case "always" -> true;
                case "first" -> piece.atStart();
                default -> false;
            };
            int span = piece.startSpan();
            if (add && !s.startsWith(replacement)) {
                s = replacement + s;
                span = span > 0 ? span + replacement.length() : 0;
            }
            Piece p = new Piece(s, span);
            if (split) Splits.apply(p, Splits.byChar(s, cp -> cp == rep), Splits.Behavior.MERGED_WITH_NEXT, false, out);
            else out.add(p);
        };
    }
}
