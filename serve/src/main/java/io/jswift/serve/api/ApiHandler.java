package io.jswift.serve.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.serve.engine.Engine;
import io.jswift.serve.metrics.ServerMetrics;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI-compatible routes. Every request: its body is read (or drained, see {@link RequestBody}), then route
 * (404), method (405), API key for /v1/* (401), content type of a POST (415), size (413), JSON (400), fields (400 /
 * 404 unknown model), queue (429). /health, /metrics and the chat page at / need no key (vLLM's /health and /metrics
 * don't). Handlers block on virtual threads.
 */
public final class ApiHandler extends Handler.Abstract {
    private static final Map<String, String> ROUTES = Map.of(
            "/", "GET", "/health", "GET", "/metrics", "GET", "/v1/models", "GET",
            "/v1/chat/completions", "POST", "/v1/completions", "POST");

    private final Engine engine;
    private final ServeConfig config;
    private final ServerMetrics metrics;
    private final JobRunner runner;
    private final byte[] apiKey;
    private final long startedSeconds = System.currentTimeMillis() / 1000;

    public ApiHandler(Engine engine, ServeConfig config, ServerMetrics metrics) {
        this.engine = engine;
        this.config = config;
        this.metrics = metrics;
        this.runner = new JobRunner(engine);
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        String route = ROUTES.containsKey(path) ? path : "other";
        int status;
        try {
            status = dispatch(path, request, response);
        } catch (ApiError e) {
            status = e.status();
            writeError(response, e, callback);
            metrics.request(route, status);
            return true;
        } catch (IOException e) { // the client went away while we read or wrote: nothing left to answer
            callback.failed(e);
            metrics.request(route, 499);
            return true;
        } catch (RuntimeException e) {
            System.err.println("jswift deploy: internal error on " + request.getMethod() + " " + path + ": " + e);
            status = 500;
            writeError(response, new ApiError(500, "internal_error", "internal_error", null, "internal error: " + e.getMessage()), callback);
            metrics.request(route, status);
            return true;
        }
        metrics.request(route, status);
        callback.succeeded();
        return true;
    }

    private int dispatch(String path, Request request, Response response) throws IOException {
        RequestBody.Result body = RequestBody.read(request, config.maxBodyBytes());
        if (body instanceof RequestBody.TooLarge large && !large.drained()) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        String method = ROUTES.get(path);
        if (method == null) throw new ApiError(404, "invalid_request_error", "not_found", null, "no route " + path);
        if (!method.equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, method);
            throw new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                    request.getMethod() + " is not allowed on " + path + ": use " + method);
        }
        if (path.startsWith("/v1/")) checkKey(request);
        switch (path) {
            case "/" -> { // the chat page: static, no key (its API calls carry the key the user types)
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
                Content.Sink.write(response, true, ByteBuffer.wrap(ChatPage.HTML));
                return 200;
            }
            case "/health" -> {
                if (engine.draining()) throw new ApiError(503, "service_unavailable", "shutting_down", null, "the server is shutting down");
                return json(response, Map.of("status", "ok"));
            }
            case "/metrics" -> {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                Content.Sink.write(response, true, ByteBuffer.wrap(metrics.render(engine).getBytes(StandardCharsets.UTF_8)));
                return 200;
            }
            case "/v1/models" -> {
                return json(response, models());
            }
            default -> {
                String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
                if (type == null || !MimeTypes.getContentTypeWithoutCharset(type).trim().equalsIgnoreCase("application/json")) {
                    throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null,
                            "the request body must be JSON sent as Content-Type: application/json, got " + (type == null ? "none" : type));
                }
                if (body instanceof RequestBody.TooLarge large) {
                    throw new ApiError(413, "invalid_request_error", "request_too_large", null, "the request body has "
                            + (large.drained() ? "" : "more than ") + large.read() + " bytes: the limit is " + config.maxBodyBytes());
                }
                ObjectNode json = Json.parseObject(((RequestBody.Body) body).bytes());
                boolean chat = path.equals("/v1/chat/completions");
                GenerationJob job = chat ? Requests.chat(json, engine.session(), config, engine.adapterNames())
                        : Requests.completion(json, engine.session(), config, engine.adapterNames());
                return runner.run(job, chat ? ResponseFormat.CHAT : ResponseFormat.COMPLETION, request, response);
            }
        }
    }

    private void checkKey(Request request) {
        if (apiKey == null) return;
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String prefix = "Bearer ";
        byte[] given = auth != null && auth.regionMatches(true, 0, prefix, 0, prefix.length())
                ? auth.substring(prefix.length()).trim().getBytes(StandardCharsets.UTF_8) : null;
        if (given == null || !MessageDigest.isEqual(given, apiKey)) { // constant time: no timing hint about the key
            throw new ApiError(401, "authentication_error", "invalid_api_key", null,
                    given == null ? "missing API key: send Authorization: Bearer <key>" : "incorrect API key");
        }
    }

    private Map<String, Object> models() {
        List<Object> data = new ArrayList<>();
        for (String id : config.modelIds()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("object", "model");
            m.put("created", startedSeconds);
            m.put("owned_by", "jswift");
            m.put("max_model_len", config.engine().maxModelLen());
            data.add(m);
        }
        for (String adapter : engine.adapterNames()) { // vLLM lists each LoRA module with the base model as its parent
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", adapter);
            m.put("object", "model");
            m.put("created", startedSeconds);
            m.put("owned_by", "jswift");
            m.put("parent", config.modelIds().getFirst());
            m.put("max_model_len", config.engine().maxModelLen());
            data.add(m);
        }
        return Map.of("object", "list", "data", data);
    }

    private static int json(Response response, Object body) throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, ByteBuffer.wrap(Json.write(body)));
        return 200;
    }

    private static void writeError(Response response, ApiError e, Callback callback) {
        if (response.isCommitted()) { // a stream already started: nothing valid can follow
            callback.failed(e);
            return;
        }
        response.setStatus(e.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(Json.write(e.body())), callback);
    }
}
