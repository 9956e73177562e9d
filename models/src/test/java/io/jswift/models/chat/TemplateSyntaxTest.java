package io.jswift.models.chat;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemplateSyntaxTest {
    @Test
    void pythonismsAreRewritten() {
        assertEquals("{% for m in (messages|reverse) %}", TemplateSyntax.toJinjava("{% for m in messages[::-1] %}"));
        assertEquals("{{ ((message.content|py_split('</think>'))[-1]|py_lstrip('\\n')) }}",
                TemplateSyntax.toJinjava("{{ message.content.split('</think>')[-1].lstrip('\\n') }}"));
        assertEquals("{% set ns = namespace(a=(true), b=(messages|length - 1)) %}",
                TemplateSyntax.toJinjava("{% set ns = namespace(a=true, b=messages|length - 1) %}"));
        assertEquals("x{{ 'y' }}z", TemplateSyntax.toJinjava("x\n   {{- 'y' -}}  \n z"));
        assertEquals("a{# c #}b", TemplateSyntax.toJinjava("a \n\n{#- c -#}\n b"));
        // rendered as Jinja2: comments with whitespace control leave no blank lines (GPT-OSS's section comments)
        assertEquals("ab", new ChatTemplate("{{- 'a' }}\n\n{#- section #}\n{%- if true %}b{% endif %}", Map.of()).render(List.of(), false, null, null));
    }

    @Test
    void pythonStringSemantics() {
        assertEquals(List.of("a", "", "b"), PyStr.split("a,,b", ",", -1));
        assertEquals(List.of("a", "b"), PyStr.split("  a \t b ", null, -1));
        assertEquals("x\n", PyStr.lstrip("\n\nx\n", "\n"));
        assertEquals("ab", PyStr.rstrip("abxyx", "xy"));
    }

    @Test
    void templateErrorsSurfaceTheTemplatesMessage() {
        ChatTemplate t = new ChatTemplate("{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user message') }}{% endif %}ok",
                Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(Map.of("role", "assistant", "content", "x")), false, null, null));
        assertTrue(e.getMessage().contains("Conversation must start with a user message"), e.getMessage());
        assertEquals("ok", t.render(List.of(Map.of("role", "user", "content", "x")), false, null, null));
    }
}
