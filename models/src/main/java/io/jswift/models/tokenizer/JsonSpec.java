package io.jswift.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One node of tokenizer.json with the file it came from and its JSON path, so that every complaint about a
 * component says where it is: {@code /m/tokenizer.json: pre_tokenizer.pretokenizers[1].type 'Foo' is not supported}.
 */
record JsonSpec(String file, String path, JsonNode node) {
    boolean isNull() {
        return node == null || node.isNull() || node.isMissingNode();
    }

    JsonSpec get(String key) {
        return new JsonSpec(file, path.isEmpty() ? key : path + "." + key, node == null ? null : node.get(key));
    }

    List<JsonSpec> list(String key) {
        JsonSpec arr = get(key);
        if (arr.isNull()) return List.of();
        if (!arr.node.isArray()) throw arr.error("must be a JSON array");
        List<JsonSpec> out = new ArrayList<>();
        for (int i = 0; i < arr.node.size(); i++) out.add(new JsonSpec(file, arr.path + "[" + i + "]", arr.node.get(i)));
        return out;
    }

    /** {@code type} of a component: required. */
    String type() {
        JsonSpec t = get("type");
        if (t.isNull() || !t.node.isTextual()) throw t.error("is missing (every component of tokenizer.json names its type)");
        return t.node.asText();
    }

    String text(String key, String fallback) {
        JsonSpec v = get(key);
        if (v.isNull()) return fallback;
        if (!v.node.isTextual()) throw v.error("must be a string, found " + v.node);
        return v.node.asText();
    }

    String requiredText(String key) {
        String v = text(key, null);
        if (v == null) throw get(key).error("is missing");
        return v;
    }

    boolean bool(String key, boolean fallback) {
        JsonSpec v = get(key);
        if (v.isNull()) return fallback;
        if (!v.node.isBoolean()) throw v.error("must be true or false, found " + v.node);
        return v.node.asBoolean();
    }

    int integer(String key) {
        JsonSpec v = get(key);
        if (v.isNull() || !v.node.canConvertToInt()) throw v.error("must be an integer, found " + v.node);
        return v.node.asInt();
    }

    TokenizerFormatException error(String what) {
        return new TokenizerFormatException(file + ": " + path + " " + what);
    }

    TokenizerFormatException unsupported(String type, String supported) {
        return get("type").error("'" + type + "' is not supported (supported: " + supported + ")");
    }
}
