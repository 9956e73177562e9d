package io.jswift.serve.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calls in a reply, in the Hermes format that Qwen2.5 / Qwen3 chat templates teach (and ms-swift's and vLLM's
 * "hermes" parsers read): each call is a block {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}.
 * As vLLM's Hermes2ProToolParser: the content is the text before the first {@code <tool_call>}; every block (the last
 * may lack its closing tag, when the token budget ran out) must hold a JSON object with "name" and "arguments", which
 * are serialized back to a JSON string (OpenAI's {@code function.arguments}); if any block does not, there are no
 * tool calls and the whole reply is content. Text between and after blocks is dropped.
 */
final class ToolCalls {
    static final String OPEN = "<tool_call>";
    private static final Pattern BLOCK = Pattern.compile("<tool_call>(.*?)</tool_call>|<tool_call>(.*)", Pattern.DOTALL);

    /** One call: OpenAI's {"id", "type": "function", "function": {"name", "arguments"}}. */
    record Call(String id, String name, String arguments) {
        Map<String, Object> json() {
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", name);
            function.put("arguments", arguments);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("id", id);
            c.put("type", "function");
            c.put("function", function);
            return c;
        }
    }

    /** A reply split into its content (null when empty before a call, as vLLM) and its calls (empty: none). */
    record Parsed(String content, List<Call> calls) {}

    private ToolCalls() {}

    /** Splits a whole reply; {@code parallel} false keeps only the first call (OpenAI's parallel_tool_calls). */
    static Parsed parse(String reply, boolean parallel) {
        int start = reply.indexOf(OPEN);
        if (start < 0) return new Parsed(reply, List.of());
        List<Call> calls = blocks(reply.substring(start), parallel);
        if (calls == null) return new Parsed(reply, List.of());
        return new Parsed(start == 0 ? null : reply.substring(0, start), calls);
    }

    /** The calls in {@code tail} (which starts with {@code <tool_call>}), or null when a block is not a call. */
    static List<Call> blocks(String tail, boolean parallel) {
        List<Call> calls = new ArrayList<>();
        Matcher m = BLOCK.matcher(tail);
        while (m.find()) {
            Call c = call(m.group(1) != null ? m.group(1) : m.group(2));
            if (c == null) return null;
            calls.add(c);
        }
        if (calls.isEmpty()) return null;
        return parallel ? List.copyOf(calls) : List.of(calls.getFirst());
    }

    private static Call call(String block) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(block.strip());
        } catch (JacksonException e) {
            return null;
        }
        if (node == null || !node.isObject() || !node.path("name").isTextual() || !node.has("arguments")) return null;
        return new Call("call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), node.get("name").asText(),
                Json.text(node.get("arguments")));
    }
}
