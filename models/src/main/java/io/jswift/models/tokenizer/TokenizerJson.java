package io.jswift.models.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads tokenizer.json with Jackson's streaming parser: model.vocab and model.merges (the bulk of an 11 MB file)
 * go straight into a map and a list; the small components (normalizer, pre_tokenizer, ...) are kept as trees.
 * Merges come as "a b" strings (older files) or ["a", "b"] pairs (tokenizers >= 0.20).
 */
record TokenizerJson(String file, Map<String, Integer> vocab, List<String[]> merges, JsonSpec root, JsonSpec model) {
    /** Vocabulary tokens are object keys: canonicalizing / interning 150k unique keys would only cost time. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build());

    static TokenizerJson read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(path + " does not exist (the model directory has no tokenizer.json)");
        String file = path.toString();
        Map<String, Integer> vocab = new HashMap<>(1 << 18);
        List<String[]> merges = new ArrayList<>();
        ObjectNode root = JSON.createObjectNode(), model = JSON.createObjectNode();
        try (JsonParser p = JSON.getFactory().createParser(path.toFile())) {
            p.setCodec(JSON);
            expect(p, p.nextToken(), JsonToken.START_OBJECT, file, "the top level");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("model")) {
                    root.set(field, p.readValueAsTree());
                    continue;
                }
                expect(p, p.currentToken(), JsonToken.START_OBJECT, file, "model");
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (key) {
                        case "vocab" -> readVocab(p, value, vocab, file);
                        case "merges" -> readMerges(p, value, merges, file);
                        default -> model.set(key, p.readValueAsTree());
                    }
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ")");
        }
        if (model.isEmpty() && vocab.isEmpty()) throw new TokenizerFormatException(file + ": model is missing");
        return new TokenizerJson(file, vocab, merges, new JsonSpec(file, "", root), new JsonSpec(file, "model", model));
    }

    private static void expect(JsonParser p, JsonToken got, JsonToken want, String file, String where) {
        if (got != want) throw new TokenizerFormatException(file + ": " + where + " must be a JSON " + (want == JsonToken.START_OBJECT ? "object" : "array")
                + " (line " + p.currentLocation().getLineNr() + ")");
    }

    private static void readVocab(JsonParser p, JsonToken start, Map<String, Integer> vocab, String file) throws IOException {
        expect(p, start, JsonToken.START_OBJECT, file, "model.vocab");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new TokenizerFormatException(file + ": model.vocab['" + token + "'] must be an integer id");
            }
            vocab.put(token, p.getIntValue());
        }
    }

    private static void readMerges(JsonParser p, JsonToken start, List<String[]> merges, String file) throws IOException {
        expect(p, start, JsonToken.START_ARRAY, file, "model.merges");
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "model.merges[" + merges.size() + "]";
            if (t == JsonToken.VALUE_STRING) {
                String m = p.getText();
                int space = m.indexOf(' ', 1); // HF splits "a b" at its first space
                if (space < 0) throw new TokenizerFormatException(file + ": " + where + " '" + m + "' must be two tokens separated by a space");
                merges.add(new String[]{m.substring(0, space), m.substring(space + 1)});
            } else if (t == JsonToken.START_ARRAY) {
                List<String> pair = new ArrayList<>(2);
                while (p.nextToken() == JsonToken.VALUE_STRING) pair.add(p.getText());
                if (p.currentToken() != JsonToken.END_ARRAY || pair.size() != 2) {
                    throw new TokenizerFormatException(file + ": " + where + " must be a pair of strings");
                }
                merges.add(pair.toArray(String[]::new));
            } else {
                throw new TokenizerFormatException(file + ": " + where + " must be \"a b\" or [\"a\", \"b\"]");
            }
        }
    }

}
