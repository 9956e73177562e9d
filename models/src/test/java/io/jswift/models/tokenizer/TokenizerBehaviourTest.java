package io.jswift.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static io.jswift.models.tokenizer.TokenizerGoldenTest.JSON;
import static io.jswift.models.tokenizer.TokenizerGoldenTest.load;
import static io.jswift.models.tokenizer.TokenizerGoldenTest.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special tokens from tokenizer_config.json, round trips, and the errors for files jswift cannot use. */
class TokenizerBehaviourTest {
    @TempDir Path tmp;

    @Test
    void specialTokensComeFromTokenizerConfig() throws Exception {
        Tokenizer qwen = load("qwen3");
        assertEquals(qwen.tokenToId("<|im_end|>"), qwen.specialTokens().eos());
        assertEquals(qwen.tokenToId("<|endoftext|>"), qwen.specialTokens().pad());
        assertNull(qwen.specialTokens().bos()); // "bos_token": null
        assertEquals(Boolean.FALSE, qwen.specialTokens().addBosToken());
        int imStart = qwen.tokenToId("<|im_start|>"), think = qwen.tokenToId("<think>");
        assertEquals("<|im_start|>", qwen.idToToken(imStart));
        assertTrue(qwen.isSpecial(imStart));
        assertFalse(qwen.isSpecial(think), "<think> is an added token that is not special");
        assertFalse(qwen.isSpecial(qwen.tokenToId("Hello")));
        assertEquals(151669, qwen.vocabSize()); // 151643 BPE tokens + 26 added, as len(tokenizer)

        Tokenizer llama3 = load("llama3");
        assertEquals(llama3.tokenToId("<|begin_of_text|>"), llama3.specialTokens().bos());
        assertEquals("<|end_of_text|>", llama3.specialTokens().eosToken());
        Tokenizer llama2 = load("llama2");
        assertEquals(1, llama2.specialTokens().bos());
        assertEquals(2, llama2.specialTokens().eos());
        assertEquals(0, llama2.specialTokens().unk());
        assertEquals(Boolean.TRUE, llama2.specialTokens().addBosToken());
        assertEquals("<0x0A>", llama2.idToToken(llama2.encode("\n", false)[1]), "newline falls back to its byte token");
    }

    @Test
    void specialTokensMayBeContentObjectsAndConfigIsOptional() throws Exception {
        Path dir = copy("synth_bytelevel");
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\", \"pad_token\": {\"content\": \"<pad>\"}}");
        Tokenizer tok = Tokenizer.fromDirectory(dir);
        assertEquals(1, tok.specialTokens().bos());
        assertEquals(2, tok.specialTokens().eos());
        assertEquals(0, tok.specialTokens().pad());
        Tokenizer bare = Tokenizer.fromFiles(dir.resolve("tokenizer.json"), null);
        assertNull(bare.specialTokens().eos());
    }

    @Test
    void decodeOfEncodeGivesTheTextBack() throws Exception {
        List<String> corpus = new ArrayList<>();
        JSON.readTree(resource("corpus.json").toFile()).forEach(n -> corpus.add(n.asText()));
        Tokenizer qwen = load("qwen3"), llama3 = load("llama3"), llama2 = load("llama2");
        for (String text : corpus) {
            assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), qwen.decode(qwen.encode(text, false), false), "qwen3 (NFC): " + text);
            assertEquals(text, llama3.decode(llama3.encode(text, false), false), "llama3: " + text);
            // Llama 2 prepends ▁ to each stretch between special tokens and decodes ▁ as a space, so only text
            // without those comes back unchanged
            if (!text.contains("<s>") && !text.contains("</s>") && !text.contains("<unk>") && !text.contains("\u2581")) {
                assertEquals(text, llama2.decode(llama2.encode(text, true), true), "llama2: " + text);
            }
        }
    }

    @Test
    void streamingDecoderWaitsForWholeCharacters() throws Exception {
        Tokenizer llama3 = load("llama3");
        int[] ids = llama3.encode("👨‍👩‍👧 ok", false);
        StreamingDecoder stream = llama3.streamingDecoder(false);
        StringBuilder text = new StringBuilder();
        int waits = 0;
        for (int id : ids) {
            String piece = stream.step(id);
            if (piece == null) waits++;
            else {
                assertFalse(piece.contains("\uFFFD"), piece);
                text.append(piece);
            }
        }
        assertTrue(waits > 0, "emoji bytes span several tokens");
        assertEquals("👨‍👩‍👧 ok", text.toString());
    }

    @Test
    void idsOutsideTheVocabulary() throws Exception {
        Tokenizer qwen = load("qwen3");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> qwen.decode(new int[]{-1}, false));
        assertTrue(bad.getMessage().contains("token id -1"), bad.getMessage());
        assertEquals("hi", qwen.decode(new int[]{qwen.tokenToId("hi"), 151900}, false)); // past the vocabulary: nothing, as HF
        assertNull(qwen.idToToken(151900));
    }

    @Test
    void unsupportedComponentsNameTheFileAndPath() throws Exception {
        assertError(j -> ((ObjectNode) j.get("model")).put("type", "Unigram"), "tokenizer.json: model.type 'Unigram' is not supported (supported: BPE)");
        assertError(j -> ((ObjectNode) j.get("pre_tokenizer")).put("type", "UnicodeScripts"),
                "tokenizer.json: pre_tokenizer.type 'UnicodeScripts' is not supported (supported: Split,");
        assertError(j -> ((ObjectNode) j).set("normalizer", JSON.createObjectNode().put("type", "Precompiled")),
                "tokenizer.json: normalizer.type 'Precompiled' is not supported");
        assertError(j -> ((ObjectNode) j).set("decoder", JSON.createObjectNode().put("type", "Sequence")
                .set("decoders", JSON.createArrayNode().add(JSON.createObjectNode().put("type", "CTC")))),
                "tokenizer.json: decoder.decoders[0].type 'CTC' is not supported");
        assertError(j -> ((ObjectNode) j).set("pre_tokenizer", JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated")
                .set("pattern", JSON.createObjectNode().put("Regex", "(unclosed"))), "tokenizer.json: pre_tokenizer.pattern.Regex regex cannot be read");
        assertError(j -> ((ObjectNode) j.get("model")).withArray("merges").insert(0, JSON.createArrayNode().add("x").add("nope")),
                "tokenizer.json: model.merges[0] ['x', 'nope'] uses 'nope', which is not in model.vocab");
        assertError(j -> ((ObjectNode) j.get("model")).put("dropout", 0.1), "tokenizer.json: model.dropout is set");
        assertThrows(NoSuchFileException.class, () -> Tokenizer.fromDirectory(Files.createDirectory(tmp.resolve("empty"))));
    }

    private void assertError(Consumer<JsonNode> edit, String expected) throws Exception {
        JsonNode json = JSON.readTree(resource("synth_bytelevel/tokenizer.json").toFile());
        edit.accept(json);
        Path file = Files.createTempFile(tmp, "t", "").resolveSibling("tokenizer.json");
        JSON.writeValue(file.toFile(), json);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromFiles(file, null));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private Path copy(String name) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(name));
        Files.copy(resource(name + "/tokenizer.json"), dir.resolve("tokenizer.json"));
        return dir;
    }
}
