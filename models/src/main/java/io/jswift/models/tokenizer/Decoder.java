package io.jswift.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tokenizer.json's {@code decoder}: turns the token strings of some ids back into text, as HF tokenizers'
 * decoders do (each step maps the list of token strings to a new list, joined at the end; without a decoder
 * the tokens are joined with spaces). ByteLevel (GPT-2 chars back to bytes, invalid UTF-8 → U+FFFD),
 * Replace, ByteFallback ({@code <0xNN>} runs back to bytes), Fuse, Strip, Metaspace, BPEDecoder, Sequence.
 */
@FunctionalInterface
interface Decoder {
    String SUPPORTED = "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, Sequence";

    List<String> decodeChain(List<String> tokens);

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    /** No decoder in the file: HF joins the tokens with spaces. */
    Decoder NONE = new Decoder() {
        public List<String> decodeChain(List<String> tokens) { return tokens; }

        public String decode(List<String> tokens) { return String.join(" ", tokens); }
    };

    static Decoder from(JsonSpec spec) {
        if (spec.isNull()) return NONE;
        String type = spec.type();
        return switch (type) {
            case "ByteLevel" -> Decoder::byteLevel;
            case "ByteFallback" -> Decoder::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Replace" -> {
                Pattern p = Unicode.pattern(spec.get("pattern"));
                String content = Matcher.quoteReplacement(spec.requiredText("content"));
                yield tokens -> tokens.stream().map(t -> p.matcher(t).replaceAll(content)).toList();
            }
            case "Strip" -> strip(spec.requiredText("content"), spec.integer("start"), spec.integer("stop"), spec);
            case "Metaspace" -> metaspace(spec);
            case "BPEDecoder" -> {
                String suffix = spec.text("suffix", "</w>");
                yield tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
                    return out;
                };
            }
            case "Sequence" -> {
                List<Decoder> steps = spec.list("decoders").stream().map(Decoder::from).toList();
                yield tokens -> {
                    for (Decoder d : steps) tokens = d.decodeChain(tokens);
                    return tokens;
                };
            }
            default -> throw spec.unsupported(type, SUPPORTED);
        };
    }

    /**
     * HF decoders/byte_level.rs: each token's chars map back to bytes (a token with any char outside GPT-2's map
     * is taken as its own UTF-8), all bytes are joined and read with String::from_utf8_lossy.
     */
    private static List<String> byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) ByteLevel.decodeInto(t, bytes);
        return List.of(Utf8.lossy(bytes.toByteArray()));
    }

    /**
     * HF decoders/byte_fallback.rs: a run of {@code <0xNN>} tokens becomes its bytes as one string when they are
     * valid UTF-8, else one U+FFFD per byte.
     */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        for (String t : tokens) {
            int b = byteToken(t);
            if (b >= 0) {
                run.write(b);
                continue;
            }
            flushBytes(run, out);
            out.add(t);
        }
        flushBytes(run, out);
        return out;
    }

    private static int byteToken(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static void flushBytes(ByteArrayOutputStream run, List<String> out) {
        if (run.size() == 0) return;
        byte[] b = run.toByteArray();
        run.reset();
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString());
        } catch (CharacterCodingException e) {
            for (int i = 0; i < b.length; i++) out.add("\uFFFD");
        }
    }

    /** HF decoders/strip.rs: per token, up to {@code start} leading and {@code stop} trailing {@code content} chars go. */
    private static Decoder strip(String content, int start, int stop, JsonSpec spec) {
        if (content.codePointCount(0, content.length()) != 1) throw spec.get("content").error("must be one char");
        int c = content.codePointAt(0);
        return tokens -> tokens.stream().map(t -> {
            int[] cps = t.codePoints().toArray();
            int from = 0, to = cps.length;
            while (from < Math.min(start, cps.length) && cps[from] == c) from++;
            for (int i = 0; i < stop && to > from && cps[to - 1] == c; i++) to--;
            return new String(cps, from, to - from);
        }).toList();
    }

    /**
     * HF decoders/metaspace.rs: the replacement char becomes a space, except in the first token where it is
     * dropped unless prepend_scheme is never.
     */
    private static Decoder metaspace(JsonSpec spec) {
        String replacement = spec.requiredText("replacement");
        String scheme = spec.text("prepend_scheme", spec.bool("add_prefix_space", true) ? "always" : "never");
        boolean dropFirst = !scheme.equals("never");
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) out.add(tokens.get(i).replace(replacement, i == 0 && dropFirst ? "" : " "));
            return out;
        };
    }
}
