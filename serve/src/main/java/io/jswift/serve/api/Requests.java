package io.jswift.serve.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.vision.ImageMessages;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.VisionInput;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Validates the bodies of POST /v1/chat/completions and /v1/completions into {@link GenerationJob}s. */
final class Requests {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    private static final int MAX_TOP_LOGPROBS = 20;

    private Requests() {}

    /**
     * Chat: the messages (and tools, unless tool_choice is "none") rendered by the model's chat template with the
     * generation prompt; with tools the reply is read for Hermes tool calls ({@link ToolCalls}).
     */
    static GenerationJob chat(ObjectNode body, GenerationSession session, ServeConfig config, List<String> adapters) {
        String model = model(body, config, adapters);
        List<Map<String, Object>> messages = messages(body, session.acceptsImages());
        ToolFields.Tools tools = ToolFields.parse(body);
        int[] prompt;
        VisionInput images = null;
        List<String> imageRefs = ImageMessages.references(messages);
        if (!imageRefs.isEmpty()) {
            for (String ref : imageRefs) checkImageSource(ref, config.allowedLocalMediaPath());
            try {
                Qwen2VlPrompts.Encoded encoded = session.imagePrompt(messages, tools.forTemplate(), config.allowedLocalMediaPath());
                prompt = encoded.ids();
                images = encoded.images();
            } catch (IOException | RuntimeException e) {
                throw ApiError.invalid("messages", "cannot read the messages' images: " + e.getMessage());
            }
        } else {
            try {
                prompt = session.chatPrompt(messages, tools.forTemplate());
            } catch (RuntimeException e) {
                throw ApiError.invalid("messages", "the model's chat template cannot render these messages: " + e.getMessage());
            }
        }
        boolean[] streaming = SamplingFields.streaming(body);
        Boolean logprobs = Fields.bool(body, "logprobs");
        Long top = Fields.integer(body, "top_logprobs", 0, MAX_TOP_LOGPROBS);
        if (top != null && (logprobs == null || !logprobs)) throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        int topLogprobs = logprobs != null && logprobs ? (top == null ? 0 : (int) (long) top) : -1;
        int n = SamplingFields.n(body, config);
        SamplingParams params = SamplingFields.parse(body, true, session, prompt.length, config);
        return new GenerationJob(model, adapter(model, adapters), prompt, params, n, streaming[0], streaming[1], topLogprobs, ignoreEos(body),
                tools.parseCalls(), tools.parallel(), images);
    }

    /**
     * An image URL a request may use: a data URL always; a file path or file:// URL only inside the server's
     * --allowed_local_media_path (vLLM's rule: no request reads the server's files otherwise); remote URLs never.
     * As vLLM's MediaConnector, the file's path is resolved with its symbolic links followed (Path.resolve() there,
     * toRealPath here) and must lie under the allowed directory (itself a real path, see ServeConfig): a link inside
     * the directory that points outside it is refused, not followed. A relative path is taken from the directory.
     */
    private static void checkImageSource(String ref, Path allowed) {
        if (ref.startsWith("data:")) return;
        if (ref.startsWith("http://") || ref.startsWith("https://")) {
            throw ApiError.invalid("messages", "image URL " + ref + ": remote images are not fetched by this server; send a data: URL");
        }
        if (allowed == null) {
            throw ApiError.invalid("messages", "image '" + ref + "': local image files are refused (start the server with "
                    + "--allowed_local_media_path DIR to allow the files under DIR); send a data: URL");
        }
        Path path;
        try {
            path = ref.startsWith("file:") ? Path.of(URI.create(ref)) : Path.of(ref);
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            throw ApiError.invalid("messages", "image '" + ref + "' is not a valid path or file URL: " + e.getMessage());
        }
        path = allowed.resolve(path).normalize();
        if (!path.startsWith(allowed)) {
            throw ApiError.invalid("messages", "image '" + ref + "' is outside --allowed_local_media_path " + allowed);
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (NoSuchFileException e) {
            throw ApiError.invalid("messages", "image '" + ref + "': no such file " + path);
        } catch (IOException e) {
            throw ApiError.invalid("messages", "image '" + ref + "' cannot be read: " + e.getMessage());
        }
        if (!real.startsWith(allowed) || real.equals(allowed)) {
            throw ApiError.invalid("messages", "image '" + ref + "' resolves (through a symbolic link) to " + real
                    + ", outside --allowed_local_media_path " + allowed);
        }
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
                logprobs == null ? -1 : (int) (long) logprobs, ignoreEos(body), false, true, null);
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

    /**
     * OpenAI messages as the template sees them; content parts of type text are joined (vLLM joins them with newlines),
     * unless the message also holds images (a model that reads them): then the parts stay for the template.
     */
    private static List<Map<String, Object>> messages(ObjectNode body, boolean images) {
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
            message.put("content", content(o.get("content"), where + ".content", images));
            if (o.has("tool_calls") && !o.get("tool_calls").isNull()) {
                message.put("tool_calls", toolCalls(o.get("tool_calls"), where + ".tool_calls"));
                // OpenAI clients send content null beside tool calls; templates test or search it as a string (Qwen3: '</think>' in content)
                if (message.get("content") == null) message.put("content", "");
            }
            if (role.asText().equals("tool") && !o.path("tool_call_id").isTextual()) {
                throw ApiError.invalid(where + ".tool_call_id", "'" + where + ".tool_call_id' is required for a tool message: the id of the call it answers");
            }
            out.add(message);
        }
        return out;
    }

    private static Object content(JsonNode c, String where, boolean images) {
        if (c == null || c.isNull()) return null;
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiError.invalid(where, "'" + where + "' must be a string or an array of content parts");
        boolean hasImage = false;
        for (JsonNode part : c) hasImage |= isImage(part);
        if (hasImage && !images) throw ApiError.invalid(where, "'" + where + "' holds an image, but this model reads text only");
        if (hasImage) {
            for (JsonNode part : c) {
                if (!isImage(part) && !(part.path("type").asText("").equals("text") && part.path("text").isTextual())) {
                    throw ApiError.invalid(where, "'" + where + "' may hold text and image_url parts, got " + part);
                }
            }
            return Json.MAPPER.convertValue(c, new TypeReference<List<Map<String, Object>>>() {});
        }
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

    /** An image content part: {"type": "image_url", "image_url": {"url": ...}} (OpenAI) or {"type": "image", "image": ...}. */
    private static boolean isImage(JsonNode part) {
        String type = part.path("type").asText("");
        return type.equals("image_url") || type.equals("image");
    }

    /**
     * An assistant message's earlier tool calls, each {"id", "type": "function", "function": {"name", "arguments"}}
     * with arguments a JSON string (OpenAI); for the chat template the arguments become the JSON value they hold, as
     * vLLM passes them (Qwen's templates write {@code arguments | tojson} into the {@code <tool_call>} block).
     */
    private static List<Map<String, Object>> toolCalls(JsonNode calls, String where) {
        if (!calls.isArray()) throw ApiError.invalid(where, "'" + where + "' must be an array of tool calls");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int j = 0; j < calls.size(); j++) {
            String at = where + "[" + j + "]";
            JsonNode c = calls.get(j), f = c.path("function");
            if (!c.isObject() || !f.isObject() || !f.path("name").isTextual()) {
                throw ApiError.invalid(at, "'" + at + "' must be {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
            }
            JsonNode arguments = f.get("arguments");
            Object parsed;
            if (arguments == null || !arguments.isTextual()) {
                throw ApiError.invalid(at + ".function.arguments", "'" + at + ".function.arguments' must be a string holding JSON");
            }
            try {
                parsed = Json.MAPPER.readValue(arguments.asText(), Object.class);
            } catch (JacksonException e) {
                throw ApiError.invalid(at + ".function.arguments", "'" + at + ".function.arguments' is not valid JSON: " + e.getOriginalMessage());
            }
            Map<String, Object> call = new LinkedHashMap<>(Json.MAPPER.convertValue(c, MAP));
            Map<String, Object> function = new LinkedHashMap<>(Json.MAPPER.convertValue(f, MAP));
            function.put("arguments", parsed);
            call.put("function", function);
            out.add(call);
        }
        return out;
    }
}
