package io.jswift.models.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the template comes from, and the built-in ChatML / Llama 3 formats used (with a warning) when it cannot serve. */
class ChatTemplateFallbackTest {
    private static final List<Map<String, Object>> CHAT = List.of(Map.of("role", "system", "content", "Be brief."),
            Map.of("role", "user", "content", "hi"), Map.of("role", "assistant", "content", "Hello."), Map.of("role", "user", "content", "bye"));
    private static final String CHATML = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
            + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nbye<|im_end|>\n<|im_start|>assistant\n";
    private static final String LLAMA3 = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nbye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";

    @TempDir
    Path dir;

    private Path model(String name, String template, String... specials) throws Exception {
        Path m = Files.createDirectories(dir.resolve(name));
        StringBuilder decoder = new StringBuilder();
        for (int i = 0; i < specials.length; i++) {
            decoder.append(i == 0 ? "" : ", ").append('"').append(100 + i).append("\": {\"content\": \"").append(specials[i]).append("\", \"special\": true}");
        }
        String bos = List.of(specials).contains("<|begin_of_text|>") ? "\"<|begin_of_text|>\"" : "null";
        Files.writeString(m.resolve("tokenizer_config.json"), "{\"added_tokens_decoder\": {" + decoder + "}, \"bos_token\": " + bos
                + (template == null ? "" : ", \"chat_template\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(template)) + "}");
        return m;
    }

    @Test
    void missingTemplateUsesTheFormatOfTheSpecialTokens() throws Exception {
        List<String> warnings = new ArrayList<>();
        ChatTemplate chatml = ChatTemplate.fromDirectory(model("q", null, "<|endoftext|>", "<|im_start|>", "<|im_end|>"), warnings::add);
        assertEquals(CHATML, chatml.render(CHAT, true, null, null));
        ChatTemplate llama = ChatTemplate.fromDirectory(model("l", null, "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), warnings::add);
        assertEquals(LLAMA3, llama.render(CHAT, true, null, null));
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("no chat_template") && warnings.get(0).contains("chatml"), warnings.get(0));
        assertTrue(warnings.get(1).contains("llama3"), warnings.get(1));
    }

    @Test
    void withoutKnownTokensTheArchitecturesFormatIsUsed() throws Exception {
        Path m = model("arch", null, "<|endoftext|>");
        Files.writeString(m.resolve("config.json"), "{\"architectures\": [\"Qwen2ForCausalLM\"]}");
        List<String> warnings = new ArrayList<>();
        assertEquals(CHATML, ChatTemplate.fromDirectory(m, warnings::add).render(CHAT, true, null, null));
        assertTrue(warnings.get(0).contains("chatml"), warnings.toString());
        Files.writeString(m.resolve("config.json"), "{\"architectures\": [\"MistralForCausalLM\"]}"); // names no built-in format
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromDirectory(m));
    }

    @Test
    void chatTemplateJinjaFileIsRead() throws Exception {
        Path m = model("j", null, "<|im_start|>", "<|im_end|>");
        Files.writeString(m.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}");
        List<String> warnings = new ArrayList<>();
        assertEquals("[user] hi\n", ChatTemplate.fromDirectory(m, warnings::add).render(List.of(Map.of("role", "user", "content", "hi")), false, null, null));
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void unrenderableTemplateFallsBackOnceWithAWarning() throws Exception {
        List<String> warnings = new ArrayList<>();
        ChatTemplate t = ChatTemplate.fromDirectory(model("bad", "{% for m in messages %}{{ m.content }}{% endfor", "<|im_start|>", "<|im_end|>"), warnings::add);
        assertEquals(CHATML, t.render(CHAT, true, null, null));
        assertEquals(CHATML, t.render(CHAT, true, null, null));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("cannot be rendered") && warnings.get(0).contains("chatml"), warnings.get(0));
    }

    @Test
    void theTemplatesOwnErrorsAreNotPapereredOver() throws Exception {
        List<String> warnings = new ArrayList<>();
        ChatTemplate t = ChatTemplate.fromDirectory(model("strict",
                "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok", "<|im_start|>", "<|im_end|>"),
                warnings::add);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.render(CHAT, true, null, null));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertTrue(warnings.isEmpty(), warnings.toString());
    }

    @Test
    void noTemplateAndNoKnownFormatIsAClearError() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromDirectory(model("none", null, "<s>", "</s>")));
        assertTrue(e.getMessage().contains("no chat_template") && e.getMessage().contains("ChatML, Llama 3"), e.getMessage());
    }
}
