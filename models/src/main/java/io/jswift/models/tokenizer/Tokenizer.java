package io.jswift.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face {@code tokenizer.json} with a byte-level BPE model (Qwen2/Qwen3, Llama 3, GPT-2 family):
 * added tokens are matched in the raw text first, the rest is normalized (NFC where configured), split by
 * the pre-tokenizer's regex into pieces (Split, behavior Isolated), mapped to byte-level chars and BPE-encoded.
 * Ids equal HF tokenizers' (checked on a multilingual corpus in the tests).
 */
public final class Tokenizer {
    /** GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex = true. */
    private static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final Path file;
    private final Bpe bpe;
    private final String[] idToToken;
    private final Map<String, Integer> tokenToId;
    private final List<AddedToken> added;
    private final Pattern addedPattern;      // null when there are no added tokens
    private final Map<String, AddedToken> addedByContent;
    private final boolean nfc, nfkc;
    private final Pattern split;              // pre-tokenizer split regex
    private final int[] prefixIds, suffixIds; // post-processor template for add_special_tokens
    private final SpecialTokens specials;

    /** bos / eos / pad from tokenizer_config.json (null when absent or unknown). */
    public record SpecialTokens(Integer bos, Integer eos, Integer pad, String bosToken, String eosToken, String padToken) {}

    private Tokenizer(Path file, JsonNode root, JsonNode config) {
        this.file = file;
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw unsupported("model.type '" + model.path("type").asText() + "' is not supported (supported: BPE)");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw unsupported("model.byte_fallback: SentencePiece-style BPE (Llama 2 family) is not supported yet (byte-level BPE is)");
        }
        tokenToId = new HashMap<>();
        int max = -1;
        for (var it = model.path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            tokenToId.put(e.getKey(), e.getValue().asInt());
            max = Math.max(max, e.getValue().asInt());
        }
        Map<String, Integer> ranks = new HashMap<>();
        JsonNode merges = model.path("merges");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            String key = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
            ranks.putIfAbsent(key, i);
        }
        bpe = new Bpe(tokenToId, ranks, model.path("ignore_merges").asBoolean(false));

        added = new ArrayList<>();
        addedByContent = new HashMap<>();
        for (JsonNode a : root.path("added_tokens")) {
            AddedToken t = new AddedToken(a.path("id").asInt(), a.path("content").asText(), a.path("special").asBoolean(),
                    a.path("single_word").asBoolean(), a.path("lstrip").asBoolean(), a.path("rstrip").asBoolean(), a.path("normalized").asBoolean());
            added.add(t);
            addedByContent.put(t.content(), t);
            max = Math.max(max, t.id());
        }
        idToToken = new String[max + 1];
        tokenToId.forEach((tok, id) -> idToToken[id] = tok);
        for (AddedToken t : added) {
            idToToken[t.id()] = t.content();
            tokenToId.put(t.content(), t.id());
        }
        List<String> contents = new ArrayList<>(addedByContent.keySet());
        contents.sort(Comparator.comparingInt(String::length).reversed()); // longest match first
        addedPattern = contents.isEmpty() ? null
                : Pattern.compile(String.join("|", contents.stream().map(Pattern::quote).toList()));

        String[] normalizers = normalizers(root.path("normalizer"));
        nfc = java.util.Arrays.asList(normalizers).contains("NFC");
        nfkc = java.util.Arrays.asList(normalizers).contains("NFKC");
        split = Pattern.compile(splitPattern(root.path("pre_tokenizer")), Pattern.UNICODE_CHARACTER_CLASS);
        List<Integer> prefix = new ArrayList<>(), suffix = new ArrayList<>();
        postProcessor(root.path("post_processor"), prefix, suffix);
        prefixIds = prefix.stream().mapToInt(Integer::intValue).toArray();
        suffixIds = suffix.stream().mapToInt(Integer::intValue).toArray();
        JsonNode decoder = root.path("decoder");
        if (!decoder.isMissingNode() && !decoder.isNull() && !"ByteLevel".equals(decoder.path("type").asText())) {
            throw unsupported("decoder.type '" + decoder.path("type").asText() + "' is not supported (supported: ByteLevel)");
        }
        specials = new SpecialTokens(id(config, "bos_token"), id(config, "eos_token"), id(config, "pad_token"),
                text(config, "bos_token"), text(config, "eos_token"), text(config, "pad_token"));
    }

    private IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(file + ": " + what);
    }

    private String[] normalizers(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) return new String[0];
        String type = n.path("type").asText();
        if (type.equals("Sequence")) {
            List<String> out = new ArrayList<>();
            for (JsonNode c : n.path("normalizers")) out.addAll(List.of(normalizers(c)));
            return out.toArray(String[]::new);
        }
        if (type.equals("NFC") || type.equals("NFKC")) return new String[]{type};
        throw unsupported("normalizer.type '" + type + "' is not supported (supported: NFC, NFKC, Sequence)");
    }

    /** The regex the pre-tokenizer splits with: Sequence[Split(Isolated), ByteLevel(use_regex=false)] or ByteLevel(use_regex=true). */
    private String splitPattern(JsonNode n) {
        String type = n.path("type").asText();
        if (type.equals("ByteLevel")) {
            if (n.path("add_prefix_space").asBoolean(false)) throw unsupported("pre_tokenizer ByteLevel.add_prefix_space = true is not supported");
            return GPT2_PATTERN;
        }
        if (type.equals("Sequence")) {
            JsonNode list = n.path("pretokenizers");
            if (list.size() == 2 && "Split".equals(list.get(0).path("type").asText()) && "ByteLevel".equals(list.get(1).path("type").asText())
                    && !list.get(1).path("use_regex").asBoolean(true) && !list.get(1).path("add_prefix_space").asBoolean(false)) {
                JsonNode split = list.get(0);
                if (!"Isolated".equals(split.path("behavior").asText()) || split.path("invert").asBoolean(false)) {
                    throw unsupported("pre_tokenizer Split with behavior " + split.path("behavior").asText() + " is not supported (supported: Isolated)");
                }
                JsonNode regex = split.path("pattern").path("Regex");
                if (!regex.isTextual()) throw unsupported("pre_tokenizer Split needs pattern.Regex");
                return regex.asText();
            }
        }
        throw unsupported("pre_tokenizer " + n + " is not supported (supported: ByteLevel, or Sequence of Split + ByteLevel)");
    }

    /** TemplateProcessing's single-sequence template (specials before / after the text); ByteLevel adds nothing. */
    private void postProcessor(JsonNode n, List<Integer> prefix, List<Integer> suffix) {
        if (n.isMissingNode() || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "ByteLevel" -> { }
            case "Sequence" -> {
                for (JsonNode p : n.path("processors")) postProcessor(p, prefix, suffix);
            }
            case "TemplateProcessing" -> {
                boolean afterText = false;
                for (JsonNode piece : n.path("single")) {
                    if (piece.has("Sequence")) {
                        afterText = true;
                        continue;
                    }
                    String name = piece.path("SpecialToken").path("id").asText();
                    for (JsonNode id : n.path("special_tokens").path(name).path("ids")) (afterText ? suffix : prefix).add(id.asInt());
                }
            }
            default -> throw unsupported("post_processor.type '" + type + "' is not supported (supported: ByteLevel, TemplateProcessing, Sequence)");
        }
    }

    private static String text(JsonNode config, String key) {
        if (config == null) return null;
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) return null;
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private Integer id(JsonNode config, String key) {
        String t = text(config, key);
        return t == null ? null : tokenToId.get(t);
    }

    // ------------------------------------------------------------------ loading

    /** {@code dir/tokenizer.json} plus {@code dir/tokenizer_config.json} when present. */
    public static Tokenizer fromDirectory(Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        return fromFiles(dir.resolve("tokenizer.json"), Files.exists(config) ? config : null);
    }

    public static Tokenizer fromFiles(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode root, config = null;
        try {
            root = json.readTree(tokenizerJson.toFile());
            if (tokenizerConfig != null) config = json.readTree(tokenizerConfig.toFile());
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            throw new NoSuchFileException(tokenizerJson + " does not exist (the model directory has no tokenizer.json)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(tokenizerJson + ": not valid JSON: " + e.getOriginalMessage());
        }
        return new Tokenizer(tokenizerJson, root, config);
    }

    // ------------------------------------------------------------------ encode / decode

    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens) for (int id : prefixIds) out.add(id);
        int at = 0;
        if (addedPattern != null) {
            Matcher m = addedPattern.matcher(text);
            while (m.find()) {
                encodePlain(text.substring(at, m.start()), out);
                out.add(addedByContent.get(m.group()).id());
                at = m.end();
            }
        }
        encodePlain(text.substring(at), out);
        if (addSpecialTokens) for (int id : suffixIds) out.add(id);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodePlain(String text, List<Integer> out) {
        if (text.isEmpty()) return;
        String normalized = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : nfkc ? Normalizer.normalize(text, Normalizer.Form.NFKC) : text;
        Matcher m = split.matcher(normalized);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) encodeWord(normalized.substring(at, m.start()), out); // Isolated keeps the gaps too
            if (m.end() > m.start()) encodeWord(m.group(), out);
            at = m.end();
        }
        if (at < normalized.length()) encodeWord(normalized.substring(at), out);
    }

    private void encodeWord(String word, List<Integer> out) {
        for (int id : bpe.encode(ByteLevel.encode(word))) out.add(id);
    }

    /**
     * Text of {@code ids}: byte-level tokens reassembled into UTF-8 (invalid sequences become U+FFFD, as HF).
     * Ids with no token (models often pad their embedding past the tokenizer's vocabulary) decode to nothing,
     * as in HF tokenizers; negative ids are an error.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("token id " + id + " is negative");
            if (id >= idToToken.length || idToToken[id] == null) continue;
            AddedToken a = addedByContent.get(idToToken[id]);
            if (a != null && a.id() == id) {
                if (!(skipSpecialTokens && a.special())) bytes.writeBytes(a.content().getBytes(StandardCharsets.UTF_8));
                continue;
            }
            ByteLevel.decodeInto(idToToken[id], bytes);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public int vocabSize() { return idToToken.length; }

    public Integer tokenToId(String token) { return tokenToId.get(token); }

    public String idToToken(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }

    public boolean isSpecial(int id) {
        String t = idToToken(id);
        AddedToken a = t == null ? null : addedByContent.get(t);
        return a != null && a.special() && a.id() == id;
    }

    public SpecialTokens specialTokens() { return specials; }
}
