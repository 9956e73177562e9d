package io.jswift.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Rendered prompts against transformers' apply_chat_template (tools/fixtures/chat_template_fixtures.py). */
class ChatTemplateGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3"})
    void rendersLikeTransformers(String name) throws Exception {
        Path tokDir = Path.of(getClass().getResource("/tokenizers/" + name + "/tokenizer_config.json").toURI()).getParent();
        ChatTemplate template = ChatTemplate.fromDirectory(tokDir);
        ObjectMapper json = new ObjectMapper();
        JsonNode convs = json.readTree(getClass().getResourceAsStream("/chat/conversations.json"));
        JsonNode expected = json.readTree(getClass().getResourceAsStream("/chat/expected_" + name + ".json"));
        for (int i = 0; i < convs.size(); i++) {
            List<Map<String, Object>> messages = json.convertValue(convs.get(i).get("messages"), new com.fasterxml.jackson.core.type.TypeReference<>() {});
            JsonNode toolNode = convs.get(i).get("tools");
            List<Map<String, Object>> tools = toolNode == null ? null : json.convertValue(toolNode, new com.fasterxml.jackson.core.type.TypeReference<>() {});
            String text = template.render(messages, convs.get(i).get("add_generation_prompt").asBoolean(), tools, Map.of("date_string", "24 Nov 2026"));
            assertEquals(expected.get(i).get("text").asText(), text, name + " / " + convs.get(i).get("name").asText());
        }
    }
}
