package io.jswift.train.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Detects the format of one row, per row as ms-swift does: messages (OpenAI roles), alpaca
 * (instruction/input/output), query/response/history/system, sharegpt (conversations with from/value),
 * pre-tokenized (input_ids, labels), text, preference (messages + rejected_response, or
 * prompt/chosen/rejected), KTO (messages + label); messages rows may list images ("images", ms-swift's multimodal rows). Throws IllegalArgumentException with the reason.
 */
public final class RowParser {
    private static final Map<String, String> SHAREGPT_ROLES = Map.of(
            "human", "user", "user", "user", "gpt", "assistant", "assistant", "assistant",
            "system", "system", "tool", "tool", "function_call", "assistant", "observation", "tool");

    private RowParser() {}

    public static Sample parse(JsonNode row) {
        if (!row.isObject()) throw new IllegalArgumentException("expected a JSON object, got " + kind(row));
        if (row.has("input_ids")) return tokenized(row);
        List<String> images = images(row);
        if (!images.isEmpty() && (!row.has("messages") || row.has("rejected_response") || row.has("label"))) {
            throw new IllegalArgumentException("'images' go with 'messages' rows for jswift sft (preference, KTO and other row formats take no images)");
        }
        if (row.has("messages")) {
            List<Message> messages = messages(row.get("messages"), "messages");
            if (row.has("rejected_response")) {
                return preference(messages, text(row, "rejected_response"));
            }
            if (row.has("label")) return kto(messages, row.get("label"));
            return new Sample.Chat(messages, tag(row), images);
        }
        if (row.has("conversations")) return new Sample.Chat(sharegpt(row.get("conversations")), tag(row));
        if (row.has("chosen") && row.has("rejected")) {
            List<Message> prompt = new ArrayList<>();
            if (row.has("system")) prompt.add(new Message("system", text(row, "system")));
            prompt.add(new Message("user", text(row, "prompt")));
            return new Sample.Preference(prompt, text(row, "chosen"), text(row, "rejected"));
        }
        if (row.has("instruction")) {
            String input = row.has("input") ? text(row, "input") : "";
            String query = input.isEmpty() ? text(row, "instruction") : text(row, "instruction") + "\n" + input;
            return new Sample.Chat(withSystem(row, List.of(new Message("user", query), new Message("assistant", text(row, "output")))), tag(row));
        }
        if (row.has("query")) return new Sample.Chat(withSystem(row, queryResponse(row)), tag(row));
        if (row.has("text")) return new Sample.Text(text(row, "text"));
        List<String> keys = new ArrayList<>();
        row.fieldNames().forEachRemaining(keys::add);
        throw new IllegalArgumentException("unknown row format with keys " + keys + " (expected one of: messages, "
                + "conversations, instruction/output, query/response, prompt/chosen/rejected, input_ids, text)");
    }

    /** ms-swift's "images" column: a list of paths / URLs (or {"path": ...} objects, as its datasets also store them). */
    private static List<String> images(JsonNode row) {
        JsonNode list = row.get("images");
        if (list == null || list.isNull()) return List.of();
        if (list.isTextual()) return List.of(list.asText());
        if (!list.isArray()) throw new IllegalArgumentException("'images' must be a list of image paths, got " + kind(list));
        List<String> out = new ArrayList<>();
        for (JsonNode n : list) {
            if (n.isTextual()) out.add(n.asText());
            else if (n.isObject() && n.path("path").isTextual()) out.add(n.get("path").asText());
            else throw new IllegalArgumentException("'images' must hold image paths (strings or {\"path\": ...}), got " + n);
        }
        return out;
    }

    private static Sample tokenized(JsonNode row) {
        int[] ids = intArray(row.get("input_ids"), "input_ids");
        if (ids.length == 0) throw new IllegalArgumentException("'input_ids' is empty");
        int[] labels = row.hasNonNull("labels") ? intArray(row.get("labels"), "labels") : null;
        if (labels != null && labels.length != ids.length) {
            throw new IllegalArgumentException("'labels' has " + labels.length + " entries but 'input_ids' has " + ids.length);
        }
        return new Sample.Tokenized(ids, labels);
    }

    private static Sample preference(List<Message> messages, String rejected) {
        if (messages.isEmpty() || !messages.get(messages.size() - 1).role().equals("assistant")) {
            throw new IllegalArgumentException("a preference row needs 'messages' ending with the chosen assistant reply");
        }
        return new Sample.Preference(messages.subList(0, messages.size() - 1), messages.get(messages.size() - 1).content(), rejected);
    }

    private static Sample kto(List<Message> messages, JsonNode label) {
        if (!label.isBoolean() && !(label.isIntegralNumber() && (label.asInt() == 0 || label.asInt() == 1))) {
            throw new IllegalArgumentException("'label' must be true/false or 1/0, got " + label);
        }
        return new Sample.Kto(messages, label.isBoolean() ? label.asBoolean() : label.asInt() != 0);
    }

    private static List<Message> messages(JsonNode list, String key) {
        if (!list.isArray()) throw new IllegalArgumentException("'" + key + "' must be a list, got " + kind(list));
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            if (!m.isObject() || !m.hasNonNull("role")) throw new IllegalArgumentException(key + "[" + i + "] needs a 'role'");
            String role = m.get("role").asText();
            if (!List.of("system", "user", "assistant", "tool").contains(role)) {
                throw new IllegalArgumentException(key + "[" + i + "] has unknown role '" + role + "' (system, user, assistant, tool)");
            }
            out.add(new Message(role, content(m.get("content"), key + "[" + i + "].content")));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("'" + key + "' is empty");
        return out;
    }

    /** A string, or a list of {type: text, text} parts joined (OpenAI content parts). */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) return "";
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!"text".equals(part.path("type").asText()) || !part.has("text")) {
                    throw new IllegalArgumentException(where + " has a non-text part " + part + " (only text parts are supported)");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw new IllegalArgumentException(where + " must be a string or a list of text parts, got " + kind(c));
    }

    private static List<Message> sharegpt(JsonNode conv) {
        if (!conv.isArray() || conv.isEmpty()) throw new IllegalArgumentException("'conversations' must be a non-empty list");
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < conv.size(); i++) {
            JsonNode turn = conv.get(i);
            String from = turn.path("from").asText(null);
            String role = from == null ? null : SHAREGPT_ROLES.get(from);
            if (role == null) throw new IllegalArgumentException("conversations[" + i + "] has unknown 'from' " + turn.get("from"));
            if (!turn.has("value")) throw new IllegalArgumentException("conversations[" + i + "] has no 'value'");
            out.add(new Message(role, content(turn.get("value"), "conversations[" + i + "].value")));
        }
        return out;
    }

    private static List<Message> queryResponse(JsonNode row) {
        List<Message> out = new ArrayList<>();
        if (row.hasNonNull("history")) {
            JsonNode h = row.get("history");
            if (!h.isArray()) throw new IllegalArgumentException("'history' must be a list of [query, response] pairs");
            for (int i = 0; i < h.size(); i++) {
                JsonNode pair = h.get(i);
                if (!pair.isArray() || pair.size() != 2) throw new IllegalArgumentException("history[" + i + "] must be a [query, response] pair");
                out.add(new Message("user", pair.get(0).asText()));
                out.add(new Message("assistant", pair.get(1).asText()));
            }
        }
        out.add(new Message("user", text(row, "query")));
        out.add(new Message("assistant", text(row, "response")));
        return out;
    }

    private static List<Message> withSystem(JsonNode row, List<Message> turns) {
        if (!row.hasNonNull("system")) return turns;
        List<Message> out = new ArrayList<>();
        out.add(new Message("system", text(row, "system")));
        out.addAll(turns);
        return out;
    }

    /** The optional string "tag" of a row (self-cognition rows: "zh" / "en"), else null. */
    private static String tag(JsonNode row) {
        JsonNode t = row.get("tag");
        return t != null && t.isTextual() ? t.asText() : null;
    }

    private static String text(JsonNode row, String key) {
        JsonNode n = row.get(key);
        if (n == null || n.isNull()) throw new IllegalArgumentException("missing '" + key + "'");
        if (!n.isTextual()) throw new IllegalArgumentException("'" + key + "' must be a string, got " + kind(n));
        return n.asText();
    }

    private static int[] intArray(JsonNode n, String key) {
        if (!n.isArray()) throw new IllegalArgumentException("'" + key + "' must be a list of integers, got " + kind(n));
        int[] out = new int[n.size()];
        Iterator<JsonNode> it = n.elements();
        for (int i = 0; it.hasNext(); i++) {
            JsonNode v = it.next();
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException("'" + key + "'[" + i + "] is not an integer: " + v);
            out[i] = v.asInt();
        }
        return out;
    }

    private static String kind(JsonNode n) {
        return n.isArray() ? "a list" : n.isObject() ? "an object" : n.isTextual() ? "a string" : n.isNumber() ? "a number" : n.toString();
    }
}
