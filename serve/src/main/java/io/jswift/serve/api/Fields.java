package io.jswift.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** Typed reads of request fields: absent or null gives null; a value of the wrong type or range is a 400 naming the field. */
final class Fields {
    private Fields() {}

    static Double number(ObjectNode body, String name, double min, double max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw ApiError.invalid(name, "'" + name + "' must be a number, got " + v.getNodeType());
        double d = v.asDouble();
        if (!(d >= min && d <= max)) throw ApiError.invalid(name, "'" + name + "' must be in [" + min + ", " + max + "], got " + d);
        return d;
    }

    static Long integer(ObjectNode body, String name, long min, long max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiError.invalid(name, "'" + name + "' must be an integer, got " + (v.isNumber() ? v.asText() : v.getNodeType()));
        }
        long l = v.asLong();
        if (l < min || l > max) throw ApiError.invalid(name, "'" + name + "' must be in [" + min + ", " + max + "], got " + l);
        return l;
    }

    static Boolean bool(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isBoolean()) throw ApiError.invalid(name, "'" + name + "' must be true or false, got " + v.getNodeType());
        return v.asBoolean();
    }

    static String string(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiError.invalid(name, "'" + name + "' must be a string, got " + v.getNodeType());
        return v.asText();
    }

    static String requiredString(ObjectNode body, String name) {
        String s = string(body, name);
        if (s == null) throw new ApiError(400, "invalid_request_error", "missing_required_parameter", name, "'" + name + "' is required");
        return s;
    }

    /** A string or an array of strings (OpenAI's stop); null when absent. */
    static List<String> strings(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        List<String> out = new ArrayList<>();
        if (v.isTextual()) out.add(v.asText());
        else if (v.isArray()) {
            for (JsonNode x : v) {
                if (!x.isTextual()) throw ApiError.invalid(name, "'" + name + "' must be a string or an array of strings");
                out.add(x.asText());
            }
        } else throw ApiError.invalid(name, "'" + name + "' must be a string or an array of strings, got " + v.getNodeType());
        for (String s : out) if (s.isEmpty()) throw ApiError.invalid(name, "'" + name + "' must not contain an empty string");
        return out;
    }
}
