package io.jswift.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ids, decodes and streamed decodes against HF tokenizers (tools/fixtures/tokenizer_fixtures.py): the real
 * Qwen3 / Llama 3 / Llama 2 files, two small synthetic ones and variants of the real ones, on the committed
 * corpus plus seeded mixtures.
 */
class TokenizerGoldenTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path resource(String name) throws Exception {
        return Path.of(TokenizerGoldenTest.class.getResource("/tokenizers/" + name).toURI());
    }

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();
    private static final Map<String, TokenizerJson> PARSED = new ConcurrentHashMap<>();

    /** Tokenizers are immutable: each test class loads a file once. */
    static Tokenizer load(String name) throws Exception {
        Tokenizer t = LOADED.get(name);
        if (t == null) LOADED.put(name, t = Tokenizer.fromDirectory(resource(name)));
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3", "llama2", "synth_bytelevel", "synth_metaspace", "synth_subword"})
    void equalsHfTokenizers(String name) throws Exception {
        JsonNode cases = JSON.readTree(resource("expected_" + name + ".json").toFile());
        int corpus = JSON.readTree(resource("corpus.json").toFile()).size();
        assertTrue(cases.size() > corpus, "the fixture holds the corpus and the seeded mixtures");
        assertMatches(name, load(name), cases);
    }

    /** A real file with components replaced (the forms other published files use), as the fixture script did. */
    @ParameterizedTest
    @ValueSource(strings = {"llama3_bos", "llama3_cl100k_possessive", "qwen3_o200k", "llama2_metaspace", "synth_subword_whitespace", "synth_subword_bert"})
    void variantsEqualHfTokenizers(String name) throws Exception {
        JsonNode expected = JSON.readTree(resource("expected_" + name + ".json").toFile());
        String base = expected.get("base").asText();
        TokenizerJson parsed = PARSED.get(base);
        if (parsed == null) PARSED.put(base, parsed = TokenizerJson.read(resource(base + "/tokenizer.json")));
        ObjectNode root = ((ObjectNode) parsed.root().node()).deepCopy();
        expected.get("overrides").properties().forEach(e -> root.set(e.getKey(), e.getValue()));
        TokenizerJson variant = new TokenizerJson(parsed.file(), parsed.vocab(), parsed.merges(), new JsonSpec(parsed.file(), "", root), parsed.model());
        assertMatches(name, Tokenizer.of(variant), expected.get("cases"));
    }

    private static void assertMatches(String name, Tokenizer tok, JsonNode cases) {
        assertTrue(cases.size() > 50, "cases: " + cases.size());
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] ids = ints(c.get("ids")), withSpecial = ints(c.get("ids_with_special"));
            check(failures, "ids", text, Arrays.toString(ids), Arrays.toString(tok.encode(text, false)));
            check(failures, "ids_with_special", text, Arrays.toString(withSpecial), Arrays.toString(tok.encode(text, true)));
            check(failures, "decoded", text, c.get("decoded").asText(), tok.decode(ids, false));
            check(failures, "decoded_skip_special", text, c.get("decoded_skip_special").asText(), tok.decode(ids, true));
            check(failures, "decoded_with_special", text, c.get("decoded_with_special").asText(), tok.decode(withSpecial, false));
            JsonNode each = c.get("decoded_each");
            for (int i = 0; i < each.size(); i++) check(failures, "decoded_each[" + i + "]", text, each.get(i).asText(), tok.decode(new int[]{ids[i]}, false));
            for (boolean skip : new boolean[]{false, true}) {
                JsonNode expected = c.get(skip ? "stream_skip_special" : "stream");
                if (expected == null) continue; // the variants record no streams
                StreamingDecoder stream = tok.streamingDecoder(skip);
                List<String> got = new ArrayList<>();
                for (int id : withSpecial) got.add(stream.step(id));
                List<String> want = new ArrayList<>();
                expected.forEach(n -> want.add(n.isNull() ? null : n.asText()));
                check(failures, skip ? "stream_skip_special" : "stream", text, want.toString(), got.toString());
            }
        }
        assertTrue(failures.isEmpty(), name + ": " + failures.size() + " mismatches of " + cases.size() + " cases, first:\n"
                + String.join("\n", failures.subList(0, Math.min(8, failures.size()))));
    }

    private static void check(List<String> failures, String what, String text, String want, String got) {
        if (!Objects.equals(want, got)) failures.add(what + " of " + quote(text) + "\n   want " + quote(want) + "\n    got " + quote(got));
    }

    static String quote(String s) {
        String q = s.length() > 300 ? s.substring(0, 300) + "..." : s;
        return "\"" + q.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "\"";
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }
}
