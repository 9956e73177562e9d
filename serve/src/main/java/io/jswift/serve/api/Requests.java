package io.jswift.serve.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Validates the bodies of POST /v1/chat/completions and /v1/completions into {@link GenerationJob}s. */
final class Requests {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    private static final int MAX_TOP_LOGPROBS = 20;

    private Requests() {}

    /** Chat: the messages (and tools) rendered by the model's chat template with the generation prompt. */
    static GenerationJob chat(ObjectNode body, GenerationSession session, ServeConfig config, List<String> adapters) {
        String model = model(body, config, adapters);
        List<Map<String, Object>> messages = messages(body);
        List<Map<String, Object>> tools = tools(body);
        int[] prompt;
        try {
            prompt = session.chatPrompt(messages, tools);
        } catch (RuntimeException e) {
            throw ApiError.invalid("messages", "the model's chat template cannot render these messages: " + e.getMessage());
        }
        boolean[] streaming = SamplingFields.streaming(body);
        Boolean logprobs = Fields.bool(body, "logprobs");
        Long top = Fields.integer(body, "top_logprobs", 0, MAX_TOP_LOGPROBS);
        if (top != null && (logprobs == null || !logprobs)) throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        int topLogprobs = logprobs != null && logprobs ? (top == null ? 0 : (int) (long) top) : -1;
        int n = SamplingFields.n(body, config);
        SamplingParams params = SamplingFields.parse(body, true, session, prompt.length, config);
        return new GenerationJob(model, adapter(model, adapters), prompt, params, n, streaming[0], streaming[1], topLogprobs, ignoreEos(body));
    }

    /** Completions: the prompt is raw text (no chat template), tokenized with the tokenizer's special tokens. */
    static GenerationJob completion(ObjectNode body, GenerationSession session, ServeConfig config, List<String> adapters) {
        String model = model(body, config, adapters);
        JsonNode p = body.get("prompt");
        String text;
        if (p == null || p.isNull()) throw new ApiError(400, "invalid_request_error", "missing_required_parameter", "prompt", "'prompt' is required");
        else if (p.isTextual()) text = p.asText();
        else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) text = p.get(0).asText();
        else throw ApiError.invalid("prompt", "'prompt' must be a string (or an array holding one string)");
        Fields.integer(body, "best_of", 1, 1); // only 1 (the default) is supported
        Boolean echo = Fields.bool(body, "echo");
        if (echo != null && echo) throw ApiError.invalid("echo", "'echo' is not supported by this server");
        if (Fields.string(body, "suffix") != null) throw ApiError.invalid("suffix", "'suffix' is not supported by this server");
        int[] prompt = session.textPrompt(text);
        if (prompt.length == 0) throw ApiError.invalid("prompt", "the prompt is empty: at least one token is needed");
        boolean[] streaming = SamplingFields.streaming(body);
        Long logprobs = Fields.integer(body, "logprobs", 0, MAX_TOP_LOGPROBS);
        int n = SamplingFields.n(body, config);
        SamplingParams params = SamplingFields.parse(body, false, session, prompt.length, config);
        return new GenerationJob(model, adapter(model, adapters), prompt, params, n, streaming[0], streaming[1],
                logprobs == null ? -1 : (int) (long) logprobs, ignoreEos(body));
    }

    private static boolean ignoreEos(ObjectNode body) {
        Boolean b = Fields.bool(body, "ignore_eos");
        return b != null && b;
    }

    /** The requested model id: a name of the base model or of a LoRA adapter (vLLM: adapters are models by their name). */
    private static String model(ObjectNode body, ServeConfig config, List<String> adapters) {
        String model = Fields.requiredString(body, "model");
        if (!config.modelIds().contains(model) && !adapters.contains(model)) {
            List<String> all = new ArrayList<>(config.modelIds());
            all.addAll(adapters);
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
                    "the model '" + model + "' does not exist: this server serves " + all);
        }
        return model;
    }

    /** The adapter a model id selects, null for the base model. */
    private static String adapter(String model, List<String> adapters) {
        return adapters.contains(model) ? model : null;
    }

    /** OpenAI messages as the template sees them; content parts of type text are joined (vLLM joins them with newlines). */
    private static List<Map<String, Object>> messages(ObjectNode body) {
        JsonNode m = body.get("messages");
        if (m == null || m.isNull()) throw new ApiError(400, "invalid_request_error", "missing_required_parameter", "messages", "'messages' is required");
        if (!m.isArray() || m.isEmpty()) throw ApiError.invalid("messages", "'messages' must be a non-empty array of message objects");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            JsonNode msg = m.get(i);
            String where = "messages[" + i + "]";
            if (!(msg instanceof ObjectNode o)) throw ApiError.invalid(where, "'" + where + "' must be an object with 'role' and 'content'");
            JsonNode role = o.get("role");
            if (role == null || !role.isTextual()) throw ApiError.invalid(where + ".role", "'" + where + ".role' must be a string");
            Map<String, Object> message = new LinkedHashMap<>(Json.MAPPER.convertValue(o, MAP));
            message.put("content", content(o.get("content"), where + ".content"));
            out.add(message);
        }
        return out;
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) return null;
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiError.invalid(where, "'" + where + "' must be a string or an array of content parts");
        StringBuilder text = new StringBuilder();
        for (JsonNode part : c) {
            String type = part.path("type").asText("");
            if (!type.equals("text") || !part.path("text").isTextual()) {
                throw ApiError.invalid(where, "'" + where + "' may hold only {\"type\": \"text\", \"text\": ...} parts here, got type '" + type + "'");
            }
            if (!text.isEmpty()) text.append('\n');
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static List<Map<String, Object>> tools(ObjectNode body) {
        JsonNode t = body.get("tools");
        if (t == null || t.isNull()) return null;
        if (!t.isArray()) throw ApiError.invalid("tools", "'tools' must be an array of tool objects");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode x : t) {
            if (!x.isObject()) throw ApiError.invalid("tools", "'tools' must be an array of tool objects");
            out.add(Json.MAPPER.convertValue(x, MAP));
        }
        return out;
    }
}
