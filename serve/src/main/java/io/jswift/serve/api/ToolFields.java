package io.jswift.serve.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tool fields of a chat request (OpenAI's function tools): {@code tools}, {@code tool_choice},
 * {@code parallel_tool_calls}, each checked as OpenAI's API does, with a 400 naming the field.
 */
final class ToolFields {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    /** OpenAI: "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64". */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    /**
     * What the request asks of tools: the tool list the chat template renders (null: none), whether the reply is
     * parsed for tool calls, and whether several calls may come back (parallel_tool_calls, default true).
     */
    record Tools(List<Map<String, Object>> forTemplate, boolean parseCalls, boolean parallel) {
        static final Tools NONE = new Tools(null, false, true);
    }

    private ToolFields() {}

    static Tools parse(ObjectNode body) {
        List<Map<String, Object>> tools = tools(body.get("tools"));
        Boolean parallel = Fields.bool(body, "parallel_tool_calls");
        JsonNode choice = body.get("tool_choice");
        boolean none = false;
        if (choice != null && !choice.isNull()) {
            if (tools == null) throw ApiError.invalid("tool_choice", "'tool_choice' is only allowed when 'tools' are specified");
            none = choice(choice, tools);
        }
        // tool_choice "none": the tools stay out of the prompt and the reply is plain text (vLLM's default)
        if (tools == null || none) return Tools.NONE;
        return new Tools(tools, true, parallel == null || parallel);
    }

    /** Whether the choice is "none"; "auto" is the default with tools. Forcing a call needs guided decoding: refused. */
    private static boolean choice(JsonNode choice, List<Map<String, Object>> tools) {
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "none" -> true;
                case "auto" -> false;
                case "required" -> throw ApiError.invalid("tool_choice", "'tool_choice': \"required\" is not supported by this server "
                        + "(forcing a tool call needs constrained decoding): use \"auto\" or \"none\"");
                default -> throw ApiError.invalid("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or "
                        + "{\"type\": \"function\", \"function\": {\"name\": ...}}, got \"" + choice.asText() + "\"");
            };
        }
        if (!choice.isObject() || !"function".equals(choice.path("type").asText(null)) || !choice.path("function").path("name").isTextual()) {
            throw ApiError.invalid("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or "
                    + "{\"type\": \"function\", \"function\": {\"name\": ...}}");
        }
        String name = choice.path("function").path("name").asText();
        if (tools.stream().noneMatch(t -> name.equals(((Map<?, ?>) t.get("function")).get("name")))) {
            throw ApiError.invalid("tool_choice", "'tool_choice' names the function '" + name + "', which is not among 'tools'");
        }
        throw ApiError.invalid("tool_choice", "'tool_choice' naming a function is not supported by this server "
                + "(forcing a tool call needs constrained decoding): use \"auto\" or \"none\"");
    }

    /** tools: a non-empty array of {"type": "function", "function": {"name", "description"?, "parameters"?, "strict"?}}. */
    private static List<Map<String, Object>> tools(JsonNode t) {
        if (t == null || t.isNull()) return null;
        if (!t.isArray()) throw ApiError.invalid("tools", "'tools' must be an array of tool objects, got " + t.getNodeType());
        if (t.isEmpty()) throw ApiError.invalid("tools", "'tools' must not be empty: leave it out for no tools");
        List<Map<String, Object>> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < t.size(); i++) {
            String where = "tools[" + i + "]";
            JsonNode x = t.get(i);
            if (!x.isObject()) throw ApiError.invalid(where, "'" + where + "' must be an object, got " + x.getNodeType());
            if (!"function".equals(x.path("type").asText(null))) {
                throw ApiError.invalid(where + ".type", "'" + where + ".type' must be \"function\" (the only tool type this server runs), got "
                        + (x.has("type") ? x.get("type") : "none"));
            }
            JsonNode f = x.get("function");
            if (f == null || !f.isObject()) throw ApiError.invalid(where + ".function", "'" + where + ".function' must be an object with 'name'");
            JsonNode name = f.get("name");
            if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
                throw ApiError.invalid(where + ".function.name", "'" + where + ".function.name' must be a string of 1 to 64 letters, digits, "
                        + "underscores or dashes, got " + (name == null ? "none" : name));
            }
            if (!names.add(name.asText())) throw ApiError.invalid(where + ".function.name", "two tools are named '" + name.asText() + "'");
            JsonNode description = f.get("description"), parameters = f.get("parameters"), strict = f.get("strict");
            if (description != null && !description.isNull() && !description.isTextual()) {
                throw ApiError.invalid(where + ".function.description", "'" + where + ".function.description' must be a string");
            }
            if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                throw ApiError.invalid(where + ".function.parameters", "'" + where + ".function.parameters' must be a JSON Schema object, got "
                        + parameters.getNodeType());
            }
            if (strict != null && !strict.isNull() && !strict.isBoolean()) {
                throw ApiError.invalid(where + ".function.strict", "'" + where + ".function.strict' must be true or false");
            }
            out.add(Json.MAPPER.convertValue(x, MAP));
        }
        return out;
    }
}
