package io.jswift.models.tokenizer;

import java.util.regex.Pattern;

/** Character classes as Rust and HF tokenizers define them, where java.lang.Character differs. */
final class Unicode {
    private static final Pattern WORD_CHAR = Pattern.compile("\\w", Pattern.UNICODE_CHARACTER_CLASS);

    private Unicode() {}

    /** Rust's char::is_whitespace: the Unicode White_Space property (Java's isWhitespace leaves out U+00A0 and adds U+001C..1F). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** Rust's char::is_numeric: general categories Nd, Nl, No. */
    static boolean isNumeric(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** A char of regex {@code \w} in its Unicode form (alphabetic, marks, decimal digits, connector punctuation, joiners). */
    static boolean isWordChar(int cp) {
        return WORD_CHAR.matcher(Character.toString(cp)).matches();
    }

    /** Rust's is_ascii_punctuation || general category P*: the Punctuation / Bert pre-tokenizers' test. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /** A {"String": literal} or {"Regex": onig regex} pattern of Split / Replace. */
    static Pattern pattern(JsonSpec spec) {
        if (spec.isNull()) throw spec.error("is missing");
        String literal = spec.text("String", null);
        if (literal != null) return Pattern.compile(Pattern.quote(literal));
        String regex = spec.text("Regex", null);
        if (regex != null) return OnigRegex.compile(regex, spec.get("Regex"));
        throw spec.error("must be {\"String\": ...} or {\"Regex\": ...}, found " + spec.node());
    }
}
