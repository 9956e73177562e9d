package io.jswift.serve.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** JSON in and out of the API: strict UTF-8, bounded nesting (a deeply nested body is a 400, never a stack overflow). */
final class Json {
    static final int MAX_NESTING = 64;
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build()).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /** The request body as a JSON object, or a 400 saying what is wrong with it. */
    static ObjectNode parseObject(byte[] body) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON (" + e.getMessage() + ")");
        }
        if (node == null || node.isMissingNode()) throw ApiError.invalid(null, "the request body is empty: a JSON object is expected");
        if (!(node instanceof ObjectNode o)) throw ApiError.invalid(null, "the request body must be a JSON object, got " + node.getNodeType());
        return o;
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    static String text(Object value) {
        return new String(write(value), StandardCharsets.UTF_8);
    }
}
