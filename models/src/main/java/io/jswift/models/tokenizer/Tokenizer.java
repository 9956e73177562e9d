package io.jswift.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model: byte-level BPE (GPT-2, Llama 3, Qwen2/Qwen3) and
 * SentencePiece-style BPE with byte fallback (Llama 2 family). Encoding follows HF tokenizers'
 * Tokenizer::encode: added tokens are found first ({@link AddedVocabulary}), the text between them is normalized
 * ({@link Normalizer}), cut into words ({@link PreTokenizer}), each word BPE-encoded ({@link BpeModel}), then
 * the post-processor adds special tokens when asked ({@link PostProcessor}). Decoding maps ids to token strings
 * and runs the {@link Decoder}. bos / eos / pad come from tokenizer_config.json ({@link SpecialTokens}).
 * Ids and decodes equal HF tokenizers' on a multilingual corpus (tools/fixtures/tokenizer_fixtures.py).
 * Thread-safe: encoding keeps no state but a concurrent cache.
 */
public final class Tokenizer {
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final AddedVocabulary added;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final String[] idToToken;           // model vocab and added tokens (as HF's id_to_token)
    private final boolean[] special;            // added tokens marked special
    private final Map<String, Integer> tokenToId;
    private final SpecialTokens specials;

    /**
     * bos / eos / pad / unk of tokenizer_config.json (strings or {"content": ...} objects; null when absent or
     * not in the vocabulary) and its add_bos_token / add_eos_token (null when absent).
     */
    public record SpecialTokens(Integer bos, Integer eos, Integer pad, String bosToken, String eosToken, String padToken,
                                Integer unk, Boolean addBosToken, Boolean addEosToken) {}

    private Tokenizer(TokenizerJson json, JsonNode config, String configFile) {
        JsonSpec modelSpec = json.model();
        String type = modelSpec.text("type", "BPE");
        if (!type.equals("BPE")) throw modelSpec.unsupported(type, "BPE");
        JsonSpec dropout = modelSpec.get("dropout");
        if (!dropout.isNull() && dropout.node().asDouble() != 0) throw dropout.error("is set: BPE dropout (a training-time option) is not supported");
        model = new BpeModel(json.vocab(), json.merges(), new BpeModel.Options(modelSpec.text("unk_token", null),
                modelSpec.bool("fuse_unk", false), modelSpec.bool("byte_fallback", false), modelSpec.bool("ignore_merges", false),
                modelSpec.text("continuing_subword_prefix", null), modelSpec.text("end_of_word_suffix", null)), modelSpec);

        JsonSpec root = json.root();
        normalizer = Normalizer.from(root.get("normalizer"));
        preTokenizer = PreTokenizer.from(root.get("pre_tokenizer"));
        postProcessor = PostProcessor.from(root.get("post_processor"));
        decoder = Decoder.from(root.get("decoder"));

        tokenToId = new HashMap<>(json.vocab());
        int max = json.vocab().values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        List<AddedVocabulary.Token> tokens = new ArrayList<>();
        for (JsonSpec a : root.list("added_tokens")) {
            String content = a.requiredText("content");
            boolean normalized = a.bool("normalized", !a.bool("special", false));
            // HF keeps a normalized token under its normalized content: that is what matches and what id_to_token gives
            String text = normalized ? normalizer.normalize(content) : content;
            tokens.add(new AddedVocabulary.Token(a.integer("id"), content, text, a.bool("special", false), a.bool("single_word", false),
                    a.bool("lstrip", false), a.bool("rstrip", false), normalized));
            max = Math.max(max, a.integer("id"));
        }
        added = new AddedVocabulary(tokens);
        idToToken = new String[max + 1];
        special = new boolean[max + 1];
        json.vocab().forEach((tok, id) -> {
            if (id < 0) throw modelSpec.get("vocab").error("has a negative id for '" + tok + "'");
            idToToken[id] = tok;
        });
        for (AddedVocabulary.Token t : tokens) {
            idToToken[t.id()] = t.matchText();
            special[t.id()] = t.special();
            tokenToId.put(t.content(), t.id());
        }
        specials = readSpecialTokens(config, configFile);
    }

    private SpecialTokens readSpecialTokens(JsonNode config, String configFile) {
        if (config == null) return new SpecialTokens(null, null, null, null, null, null, null, null, null);
        JsonSpec c = new JsonSpec(configFile, "", config);
        String bos = tokenText(c.get("bos_token")), eos = tokenText(c.get("eos_token")), pad = tokenText(c.get("pad_token")), unk = tokenText(c.get("unk_token"));
        return new SpecialTokens(bos == null ? null : tokenToId.get(bos), eos == null ? null : tokenToId.get(eos),
                pad == null ? null : tokenToId.get(pad), bos, eos, pad, unk == null ? null : tokenToId.get(unk),
                c.get("add_bos_token").isNull() ? null : c.bool("add_bos_token", false),
                c.get("add_eos_token").isNull() ? null : c.bool("add_eos_token", false));
    }

    /** A special token in tokenizer_config.json: "text", {"content": "text", ...} or null. */
    private static String tokenText(JsonSpec v) {
        if (v.isNull()) return null;
        if (v.node().isTextual()) return v.node().asText();
        if (v.node().isObject()) return v.requiredText("content");
        throw v.error("must be a string or {\"content\": ...}, found " + v.node());
    }

    // ------------------------------------------------------------------ loading

    /** {@code dir/tokenizer.json} plus {@code dir/tokenizer_config.json} when present. */
    public static Tokenizer fromDirectory(Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        return fromFiles(dir.resolve("tokenizer.json"), Files.exists(config) ? config : null);
    }

    /** @param tokenizerConfig tokenizer_config.json, or null: then there are no bos / eos / pad ids */
    public static Tokenizer fromFiles(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        TokenizerJson json = TokenizerJson.read(tokenizerJson);
        JsonNode config = null;
        if (tokenizerConfig != null) {
            try {
                config = new ObjectMapper().readTree(tokenizerConfig.toFile());
            } catch (java.io.FileNotFoundException e) {
                throw new NoSuchFileException(tokenizerConfig + " does not exist");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(tokenizerConfig + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (!config.isObject()) throw new TokenizerFormatException(tokenizerConfig + ": must be a JSON object");
        }
        return new Tokenizer(json, config, String.valueOf(tokenizerConfig));
    }

    /** A parsed tokenizer.json without tokenizer_config.json (tests build variants of one parse). */
    static Tokenizer of(TokenizerJson json) {
        return new Tokenizer(json, null, null);
    }

    // ------------------------------------------------------------------ encode / decode

    /** Token ids of {@code text}; with {@code addSpecialTokens} the post-processor's specials (e.g. Llama 2's {@code <s>}) too. */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList body = new IntList(text.length() / 3 + 4);
        List<PreTokenizer.Piece> words = new ArrayList<>();
        for (AddedVocabulary.Segment s : added.extract(text, normalizer)) {
            if (s.id() >= 0) {
                body.add(s.id());
                continue;
            }
            words.clear();
            preTokenizer.split(new PreTokenizer.Piece(s.text(), s.startSpan()), words);
            for (PreTokenizer.Piece w : words) model.encode(w.text(), body);
        }
        IntList out = new IntList(body.size() + 4);
        postProcessor.apply(addSpecialTokens, body, out);
        return out.toArray();
    }

    /**
     * Text of {@code ids} (HF Tokenizer::decode): ids with no token (models often pad their embedding past the
     * tokenizer's vocabulary) are left out, as are special tokens when {@code skipSpecialTokens}; the decoder
     * turns the rest back into text (byte-level: invalid UTF-8 becomes U+FFFD). Negative ids are an error.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("token id " + id + " is negative");
            if (id >= idToToken.length || idToToken[id] == null) continue;
            if (skipSpecialTokens && special[id]) continue;
            tokens.add(idToToken[id]);
        }
        return decoder.decode(tokens);
    }

    /** An incremental decoder for generated ids (see {@link StreamingDecoder}). */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /** Largest token id + 1 (model vocab and added tokens), as len(tokenizer) in transformers. */
    public int vocabSize() { return idToToken.length; }

    /** The id of a token string (model vocab or added token), or null. */
    public Integer tokenToId(String token) { return tokenToId.get(token); }

    /** The token string of an id, or null when there is none. */
    public String idToToken(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }

    /** Whether {@code id} is an added token marked special (skipped by decode with skipSpecialTokens). */
    public boolean isSpecial(int id) { return id >= 0 && id < special.length && special[id]; }

    public SpecialTokens specialTokens() { return specials; }
}
