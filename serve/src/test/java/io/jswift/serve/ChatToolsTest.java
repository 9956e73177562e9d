package io.jswift.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `tools` reach the chat template (the prompt the server builds is the template's rendering with them); malformed tools are 400s. */
class ChatToolsTest {
    @TempDir
    Path dir;

    @Test
    void toolsArePassedToTheChatTemplate() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        ObjectMapper json = new ObjectMapper();
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(Map.of("eos_token", "<eos>", "chat_template",
                "{% if tools %}tools:{% for t in tools %} {{ t.function.name }}{% endfor %}\n{% endif %}"
                        + "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")));
        List<Map<String, Object>> tools = List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
                "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string"))))));
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", "weather in Paris?"));
        try (LiveServer live = new LiveServer(model, null, 2, 4, 256, 0)) {
            int[] withTools = live.reference.chatPrompt(messages, tools);
            assertNotEquals(live.reference.chatPrompt(messages, null).length, withTools.length);
            String body = json.writeValueAsString(Map.of("model", LiveServer.MODEL, "messages", messages, "tools", tools, "max_tokens", 3, "temperature", 0));
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(live.baseUrl() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode answer = json.readTree(r.body());
            assertEquals(withTools.length, answer.at("/usage/prompt_tokens").asInt());
            // this random model writes no <tool_call> block: a plain answer, no tool_calls, the usual finish_reason
            assertTrue(answer.at("/choices/0/message/tool_calls").isMissingNode(), r.body());
            assertEquals("length", answer.at("/choices/0/finish_reason").asText());

            String bad = json.writeValueAsString(Map.of("model", LiveServer.MODEL, "messages", messages, "max_tokens", 3,
                    "tools", List.of(Map.of("type", "function", "function", Map.of("name", "no spaces allowed")))));
            HttpResponse<String> e = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(live.baseUrl() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(bad)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, e.statusCode(), e.body());
            assertEquals("tools[0].function.name", json.readTree(e.body()).at("/error/param").asText(), e.body());
            assertEquals("invalid_request_error", json.readTree(e.body()).at("/error/type").asText());
        }
    }
}
