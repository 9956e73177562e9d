package io.jswift.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
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

    /**
     * GPT-OSS's harmony template (tools/fixtures/gpt_oss_template_fixtures.py: the original template TRL ships, rendered by
     * apply_chat_template with the clock at 2026-11-24): system and developer blocks, final-channel turns, the closing
     * <|return|> of a trained assistant turn, a tool call to functions.* and its result; the date is today's here.
     */
    @Test
    void rendersGptOssHarmonyLikeTransformers() throws Exception {
        Path tokDir = Path.of(getClass().getResource("/tokenizers/gpt-oss/tokenizer_config.json").toURI()).getParent();
        ChatTemplate template = ChatTemplate.fromDirectory(tokDir);
        ObjectMapper json = new ObjectMapper();
        JsonNode convs = json.readTree(getClass().getResourceAsStream("/chat/conversations.json"));
        JsonNode expected = json.readTree(getClass().getResourceAsStream("/chat/expected_gpt_oss.json"));
        String today = "Current date: " + LocalDate.now().format(DateTimeFormatter.ISO_LOCAL_DATE);
        for (int i = 0; i < convs.size(); i++) {
            List<Map<String, Object>> messages = json.convertValue(convs.get(i).get("messages"), new com.fasterxml.jackson.core.type.TypeReference<>() {});
            JsonNode toolNode = convs.get(i).get("tools");
            List<Map<String, Object>> tools = toolNode == null ? null : json.convertValue(toolNode, new com.fasterxml.jackson.core.type.TypeReference<>() {});
            String text = template.render(messages, convs.get(i).get("add_generation_prompt").asBoolean(), tools, Map.of());
            String want = expected.get(i).get("text").asText().replace("Current date: 2026-11-24", today);
            assertEquals(want, text, "gpt-oss / " + convs.get(i).get("name").asText());
        }
    }
}
