package io.jswift.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.serve.engine.EngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An OpenAI-shaped tool conversation (the assistant's call with its arguments as a JSON string and content null, then
 * the tool's answer with its tool_call_id) renders through Qwen3's chat template exactly as transformers'
 * apply_chat_template renders the same conversation (models' golden file chat/expected_qwen3.json, case "tools").
 */
class ChatToolMessagesTest {
    @TempDir
    Path dir;

    private static Path resource(String path) throws Exception {
        return Path.of(ChatToolMessagesTest.class.getResource(path).toURI());
    }

    private GenerationSession qwen3Session() throws Exception {
        Path model = dir.resolve("tiny-qwen3-tokenizer");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(TinyChatModels.checkpoint("llama-f32").resolve(f), model.resolve(f));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.copy(resource("/tokenizers/qwen3/" + f), model.resolve(f));
        return GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
    }

    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather for a city\","
            + " \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"城市\"}}, \"required\": [\"city\"]}}}]";

    private static String body(String assistantCall, String toolMessage, String extra) {
        return "{\"model\": \"tiny\", \"max_tokens\": 4, \"tools\": " + TOOLS + extra + ", \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, " + assistantCall + ", " + toolMessage + "]}";
    }

    private static final String CALL = "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\","
            + " \"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}}]}";
    private static final String ANSWER = "{\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"{\\\"temp\\\": 21}\"}";

    @Test
    void aToolConversationRendersAsTransformersRendersIt() throws Exception {
        GenerationSession session = qwen3Session();
        ServeConfig config = new ServeConfig("127.0.0.1", 0, List.of("tiny"), null, 0, ServeConfig.DEFAULT_MAX_BODY_BYTES, new EngineConfig(1, 1, 256, 0));
        JsonNode golden = new ObjectMapper().readTree(resource("/chat/expected_qwen3.json").toFile());
        String expected = null;
        for (JsonNode c : golden) if (c.get("name").asText().equals("tools")) expected = c.get("text").asText();

        GenerationJob job = Requests.chat(Json.parseObject(body(CALL, ANSWER, "").getBytes()), session, config, List.of());
        assertEquals(expected, session.tokenizer().decode(job.prompt(), false));
        assertTrue(job.toolCalls());

        GenerationJob none = Requests.chat(Json.parseObject(body(CALL, ANSWER, ", \"tool_choice\": \"none\"").getBytes()), session, config, List.of());
        assertFalse(none.toolCalls());
        assertFalse(session.tokenizer().decode(none.prompt(), false).contains("<tools>"), "tool_choice none leaves the tools out of the prompt");
    }

    @Test
    void malformedToolMessagesAre400sNamingTheField() throws Exception {
        GenerationSession session = qwen3Session();
        ServeConfig config = new ServeConfig("127.0.0.1", 0, List.of("tiny"), null, 0, ServeConfig.DEFAULT_MAX_BODY_BYTES, new EngineConfig(1, 1, 256, 0));
        Map<String, String> cases = Map.of(
                body(CALL.replace("{\\\"city\\\": \\\"Paris\\\"}", "{city: Paris"), ANSWER, ""), "messages[1].tool_calls[0].function.arguments",
                body(CALL.replace("\"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"", "\"arguments\": {\"city\": \"Paris\"}"), ANSWER, ""),
                "messages[1].tool_calls[0].function.arguments",
                body(CALL.replace("\"function\": {\"name\": \"get_weather\",", "\"function\": {"), ANSWER, ""), "messages[1].tool_calls[0]",
                body(CALL.replace("[{\"id\"", "{\"x\": [{\"id\"").replace("}}]}", "}}]}}"), ANSWER, ""), "messages[1].tool_calls",
                body(CALL, ANSWER.replace("\"tool_call_id\": \"call_1\", ", ""), ""), "messages[2].tool_call_id");
        cases.forEach((json, param) -> {
            ApiError e = assertThrows(ApiError.class, () -> Requests.chat(Json.parseObject(json.getBytes()), session, config, List.of()), json);
            assertEquals(400, e.status());
            assertEquals(param, ((Map<?, ?>) e.body().get("error")).get("param"), e.getMessage());
        });
    }
}
