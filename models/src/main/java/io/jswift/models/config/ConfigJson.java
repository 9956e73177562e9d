package io.jswift.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Typed reads from a JSON config file; every error names the file and the key. */
public final class ConfigJson {
    private final Path file;
    private final JsonNode root;

    private ConfigJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    public static ConfigJson read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + " does not exist (a Hugging Face model directory needs config.json)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")");
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        return new ConfigJson(file, root);
    }

    public static ConfigJson of(Path file, JsonNode root) { return new ConfigJson(file, root); }

    public Path file() { return file; }

    public JsonNode root() { return root; }

    public boolean has(String key) { return root.hasNonNull(key); }

    private JsonNode required(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) throw new IllegalArgumentException(file + ": missing key '" + key + "'");
        return n;
    }

    public int requireInt(String key) {
        JsonNode n = required(key);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) throw new IllegalArgumentException(file + ": '" + key + "' must be an integer, got " + n);
        return n.asInt();
    }

    public int optInt(String key, int fallback) { return has(key) ? requireInt(key) : fallback; }

    public double requireDouble(String key) {
        JsonNode n = required(key);
        if (!n.isNumber()) throw new IllegalArgumentException(file + ": '" + key + "' must be a number, got " + n);
        return n.asDouble();
    }

    public double optDouble(String key, double fallback) { return has(key) ? requireDouble(key) : fallback; }

    public boolean optBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isBoolean()) throw new IllegalArgumentException(file + ": '" + key + "' must be true or false, got " + n);
        return n.asBoolean();
    }

    public String optString(String key, String fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isTextual()) throw new IllegalArgumentException(file + ": '" + key + "' must be a string, got " + n);
        return n.asText();
    }

    /** An integer or a list of integers (HF allows both for eos_token_id); empty when absent. */
    public int[] optIntList(String key) {
        if (!has(key)) return new int[0];
        JsonNode n = root.get(key);
        if (n.isIntegralNumber()) return new int[]{n.asInt()};
        if (n.isArray()) {
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) {
                if (!n.get(i).isIntegralNumber()) throw new IllegalArgumentException(file + ": '" + key + "' must hold integers, got " + n);
                out[i] = n.get(i).asInt();
            }
            return out;
        }
        throw new IllegalArgumentException(file + ": '" + key + "' must be an integer or a list of integers, got " + n);
    }

    /** A nested object as a config of its own (same file for messages), or null when absent. */
    public ConfigJson optObject(String key) {
        if (!has(key)) return null;
        JsonNode n = root.get(key);
        if (!n.isObject()) throw new IllegalArgumentException(file + ": '" + key + "' must be an object, got " + n);
        return new ConfigJson(file, n);
    }
}
