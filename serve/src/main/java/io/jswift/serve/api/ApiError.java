package io.jswift.serve.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered as OpenAI does: HTTP status plus {"error": {"message", "type", "param", "code"}}.
 * Thrown anywhere while a request is handled; the handler turns it into the response.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type, param, code;

    public ApiError(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400: a field is missing or invalid ({@code param} names it). */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", param == null ? null : "invalid_value", param, message);
    }

    public int status() { return status; }

    /** The JSON body. */
    public Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return Map.of("error", e);
    }
}
