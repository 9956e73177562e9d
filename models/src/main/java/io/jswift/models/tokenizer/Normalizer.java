package io.jswift.models.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tokenizer.json's {@code normalizer}: applied (as in HF tokenizers' AddedVocabulary.extract_and_normalize) to
 * each stretch of text left between the added tokens that were matched in the raw input, and to the content of
 * added tokens marked {@code normalized}.
 */
@FunctionalInterface
interface Normalizer {
    String SUPPORTED = "NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence";

    String normalize(String s);

    Normalizer IDENTITY = s -> s;

    static Normalizer from(JsonSpec spec) {
        if (spec.isNull()) return IDENTITY;
        String type = spec.type();
        return switch (type) {
            case "NFC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
            case "NFD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
            case "NFKC" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC);
            case "NFKD" -> s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> Normalizer::lowercase;
            case "Strip" -> strip(spec.bool("left", true), spec.bool("right", true));
            case "Prepend" -> {
                String prefix = spec.requiredText("prepend");
                yield s -> s.isEmpty() ? s : prefix + s; // HF: an empty string stays empty
            }
            case "Replace" -> replace(spec);
            case "Sequence" -> {
                List<Normalizer> steps = spec.list("normalizers").stream().map(Normalizer::from).toList();
                yield s -> {
                    for (Normalizer n : steps) s = n.normalize(s);
                    return s;
                };
            }
            default -> throw spec.unsupported(type, SUPPORTED);
        };
    }

    /** HF lowercases char by char (Rust's char::to_lowercase: İ → i̇, no final-sigma rule). */
    private static String lowercase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp < 0x80) out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
            else out.append(Character.toString(cp).toLowerCase(Locale.ROOT)); // a lone char: special casing, no context
        });
        return out.toString();
    }

    private static Normalizer strip(boolean left, boolean right) {
        return s -> {
            int start = 0, end = s.length();
            while (left && start < end && Unicode.isWhiteSpace(s.codePointAt(start))) start += Character.charCount(s.codePointAt(start));
            while (right && end > start && Unicode.isWhiteSpace(s.codePointBefore(end))) end -= Character.charCount(s.codePointBefore(end));
            return s.substring(start, end);
        };
    }

    /** Replace: {@code pattern} is {"String": literal} or {"Regex": onig regex}; every match becomes {@code content}. */
    private static Normalizer replace(JsonSpec spec) {
        Pattern pattern = Unicode.pattern(spec.get("pattern"));
        String content = Matcher.quoteReplacement(spec.requiredText("content"));
        return s -> pattern.matcher(s).replaceAll(content);
    }
}
