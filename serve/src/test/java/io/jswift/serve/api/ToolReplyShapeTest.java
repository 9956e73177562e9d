package io.jswift.serve.api;

import com.openai.core.ObjectMappers;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import io.jswift.models.generate.TextGenerator.FinishReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answers with tool calls, read back by the official openai-java SDK's own JSON mapping (its model classes, as a
 * client of this server would): whole answers and the chunks of a stream, which it accumulates into the same calls.
 */
class ToolReplyShapeTest {
    private static final String REPLY = "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"CET\"}}\n</tool_call>";

    private static Map<String, Object> envelope(String object, List<Object> choices) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "chatcmpl-1");
        m.put("object", object);
        m.put("created", 1L);
        m.put("model", "tiny");
        m.put("choices", choices);
        return m;
    }

    @Test
    void aWholeAnswerHasToolCallsAndFinishReasonToolCalls() throws Exception {
        ToolCalls.Parsed p = ToolCalls.parse(REPLY, true);
        Map<String, Object> body = envelope("chat.completion", List.of(ResponseFormat.CHAT.choice(0, p.content(), p.calls(),
                ResponseFormat.finishReason(FinishReason.EOS, p.calls()), null, null)));
        ChatCompletion c = ObjectMappers.jsonMapper().readValue(Json.text(body), ChatCompletion.class).validate();
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        assertEquals("Checking.\n", choice.message().content().orElseThrow());
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream().map(t -> t.asFunction()).toList();
        assertEquals(List.of("get_weather", "get_time"), calls.stream().map(t -> t.function().name()).toList());
        assertEquals("{\"city\":\"Paris\"}", calls.getFirst().function().arguments());
        assertTrue(calls.getFirst().id().startsWith("call_"));

        Map<String, Object> plain = envelope("chat.completion", List.of(ResponseFormat.CHAT.choice(0, "just text", List.of(),
                ResponseFormat.finishReason(FinishReason.LENGTH, List.of()), null, null)));
        ChatCompletion.Choice text = ObjectMappers.jsonMapper().readValue(Json.text(plain), ChatCompletion.class).validate().choices().getFirst();
        assertFalse(text.message().toolCalls().isPresent());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, text.finishReason());
    }

    @Test
    void aStreamSendsContentThenTheCallsThenTheFinishReason() throws Exception {
        StreamedChoice s = new StreamedChoice(0, ResponseFormat.CHAT, true, true, null);
        List<Map<String, Object>> sent = new ArrayList<>();
        sent.add(s.opening());
        for (int i = 0; i < REPLY.length(); i += 3) {
            boolean last = i + 3 >= REPLY.length();
            sent.addAll(s.step(REPLY.substring(i, Math.min(REPLY.length(), i + 3)), last ? FinishReason.EOS : null, null));
        }
        StringBuilder content = new StringBuilder();
        Map<Long, String> names = new LinkedHashMap<>(), arguments = new LinkedHashMap<>();
        ChatCompletionChunk.Choice.FinishReason finish = null;
        for (Map<String, Object> choice : sent) {
            ChatCompletionChunk chunk = ObjectMappers.jsonMapper().readValue(Json.text(envelope("chat.completion.chunk", List.of(choice))),
                    ChatCompletionChunk.class).validate();
            ChatCompletionChunk.Choice c = chunk.choices().getFirst();
            c.delta().content().ifPresent(content::append);
            for (ChatCompletionChunk.Choice.Delta.ToolCall t : c.delta().toolCalls().orElse(List.of())) {
                t.function().flatMap(f -> f.name()).ifPresent(n -> names.merge(t.index(), n, String::concat));
                t.function().flatMap(f -> f.arguments()).ifPresent(a -> arguments.merge(t.index(), a, String::concat));
                assertTrue(t.id().orElseThrow().startsWith("call_"));
            }
            if (c.finishReason().isPresent()) {
                assertTrue(finish == null, "one finish_reason");
                finish = c.finishReason().get();
            }
        }
        assertEquals("Checking.\n", content.toString(), "streamed content = the whole answer's content");
        assertEquals(List.of("get_weather", "get_time"), List.copyOf(names.values()));
        assertEquals(List.of("{\"city\":\"Paris\"}", "{\"tz\":\"CET\"}"), List.copyOf(arguments.values()));
        assertEquals(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS, finish);
        Map<?, ?> lastDelta = (Map<?, ?>) sent.getLast().get("delta");
        assertTrue(lastDelta.isEmpty(), "the finish_reason comes alone: " + lastDelta);
    }
}
