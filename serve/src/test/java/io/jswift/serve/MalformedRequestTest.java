package io.jswift.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each malformed request gets its status and an OpenAI-shaped error body; the server keeps serving (same keep-alive client). */
class MalformedRequestTest {
    @TempDir
    static Path dir;
    static LiveServer live;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), "k", 2, 4, 64, 0);
    }

    @AfterAll
    static void stop() throws Exception {
        live.close();
    }

    private static HttpResponse<String> send(String method, String path, String contentType, byte[] body, boolean key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(live.baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        if (key) b.header("Authorization", "Bearer k");
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> chat(String body) throws Exception {
        return send("POST", "/v1/chat/completions", "application/json", body.getBytes(StandardCharsets.UTF_8), true);
    }

    /** The status, a JSON error object with the four OpenAI keys, and (when given) the param named. */
    private static JsonNode assertError(HttpResponse<String> r, int status, String param) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode e = JSON.readTree(r.body()).get("error");
        for (String k : new String[]{"message", "type", "param", "code"}) assertTrue(e.has(k), "error lacks '" + k + "': " + r.body());
        assertTrue(e.get("message").asText().length() > 5, r.body());
        if (param != null) assertEquals(param, e.get("param").asText(), r.body());
        return e;
    }

    @Test
    void malformedJsonAndInvalidUtf8AndDeepNestingAre400() throws Exception {
        assertError(chat("{\"model\": \"tiny\", \"messages\": [}"), 400, null);
        assertError(chat(""), 400, null);
        assertError(chat("[1, 2]"), 400, null);
        byte[] badUtf8 = "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"xx\"}]}".getBytes(StandardCharsets.UTF_8);
        badUtf8[badUtf8.length - 6] = (byte) 0xC3; // a lead byte followed by a quote: not UTF-8
        assertError(send("POST", "/v1/chat/completions", "application/json", badUtf8, true), 400, null);
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertError(chat("{\"model\": \"tiny\", \"messages\": " + deep + "}"), 400, null);
    }

    @Test
    void missingAndInvalidFieldsAre400NamingTheField() throws Exception {
        assertError(chat("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 400, "model");
        assertError(chat("{\"model\": \"tiny\"}"), 400, "messages");
        assertError(chat("{\"model\": \"tiny\", \"messages\": []}"), 400, "messages");
        assertError(chat("{\"model\": \"tiny\", \"messages\": [{\"content\": \"hi\"}]}"), 400, "messages[0].role");
        String ok = "\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        assertError(chat("{" + ok + ", \"temperature\": \"hot\"}"), 400, "temperature");
        assertError(chat("{" + ok + ", \"temperature\": 3}"), 400, "temperature");
        assertError(chat("{" + ok + ", \"top_p\": 0}"), 400, "top_p");
        assertError(chat("{" + ok + ", \"n\": 0}"), 400, "n");
        assertError(chat("{" + ok + ", \"max_tokens\": 1.5}"), 400, "max_tokens");
        assertError(chat("{" + ok + ", \"stop\": 5}"), 400, "stop");
        assertError(chat("{" + ok + ", \"top_logprobs\": 2}"), 400, "top_logprobs");
        assertError(chat("{" + ok + ", \"stream_options\": {\"include_usage\": true}}"), 400, "stream_options");
        // max_model_len is 64: the prompt plus 60 more tokens do not fit
        JsonNode e = assertError(chat("{" + ok + ", \"max_tokens\": 60}"), 400, "max_tokens");
        assertTrue(e.get("message").asText().contains("64"), e.toString());
        assertError(chat("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(80) + "\"}]}"), 400, "messages");
        assertError(send("POST", "/v1/completions", "application/json", "{\"model\": \"tiny\", \"prompt\": 5}".getBytes(StandardCharsets.UTF_8), true), 400, "prompt");
        assertError(chat("{\"model\": \"other\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 404, "model");
    }

    @Test
    void routeMethodKeyAndContentTypeErrors() throws Exception {
        byte[] body = "{\"model\": \"tiny\", \"prompt\": \"hi\", \"max_tokens\": 2}".getBytes(StandardCharsets.UTF_8);
        assertError(send("GET", "/v1/nothing", null, null, true), 404, null);
        HttpResponse<String> r = send("GET", "/v1/chat/completions", null, null, true);
        assertError(r, 405, null);
        assertEquals("POST", r.headers().firstValue("allow").orElse(""));
        assertError(send("POST", "/v1/completions", "application/json", body, false), 401, null);
        assertError(send("POST", "/v1/completions", "text/plain", body, true), 415, null);
        assertError(send("POST", "/v1/completions", null, body, true), 415, null);
        assertEquals(200, send("POST", "/v1/completions", "application/json; charset=utf-8", body, true).statusCode());
        assertEquals(200, send("GET", "/health", null, null, false).statusCode());
        HttpResponse<String> page = send("GET", "/", null, null, false); // the chat page needs no key
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertError(send("POST", "/", "application/json", body, true), 405, null);
    }

    @Test
    void anOversizedBodyIs413AndTheConnectionKeepsServing() throws Exception {
        byte[] big = new byte[8 << 20];
        Arrays.fill(big, (byte) ' ');
        big[0] = '{';
        big[big.length - 1] = '}';
        assertError(send("POST", "/v1/chat/completions", "application/json", big, true), 413, null);
        byte[] body = "{\"model\": \"tiny\", \"prompt\": \"hi\", \"max_tokens\": 2}".getBytes(StandardCharsets.UTF_8);
        assertEquals(200, send("POST", "/v1/completions", "application/json", body, true).statusCode());
        assertError(send("POST", "/v1/chat/completions", "application/json", big, true), 413, null);
        assertEquals(200, send("GET", "/v1/models", null, null, true).statusCode());
    }
}
