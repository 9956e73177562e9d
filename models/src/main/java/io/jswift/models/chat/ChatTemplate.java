package io.jswift.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own Jinja chat template (tokenizer_config.json "chat_template") rendered with Jinjava under
 * transformers' apply_chat_template conventions: trim_blocks and lstrip_blocks on, variables
 * {@code messages}, {@code add_generation_prompt}, {@code tools}, the special tokens, extra kwargs, and a
 * {@code raise_exception} function.
 */
public final class ChatTemplate {
    private final String source;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinjava;

    ChatTemplate(String source, Map<String, Object> specialTokens) {
        this.source = TemplateSyntax.toJinjava(source);
        this.specialTokens = specialTokens;
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withFailOnUnknownTokens(false).build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        for (var f : PyStringFilters.all()) jinjava.getGlobalContext().registerFilter(f);
        jinjava.getGlobalContext().registerFilter(new PyJson());
    }

    /** Reads the template and special tokens of {@code dir/tokenizer_config.json}. */
    public static ChatTemplate fromDirectory(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        JsonNode config = new ObjectMapper().readTree(Files.readString(file));
        JsonNode t = config.get("chat_template");
        String template;
        if (t == null || t.isNull()) throw new IllegalArgumentException(file + ": no chat_template");
        if (t.isTextual()) {
            template = t.asText();
        } else if (t.isArray()) { // [{name, template}, ...]: "default" as transformers picks without tools
            template = null;
            for (JsonNode e : t) if ("default".equals(e.path("name").asText())) template = e.path("template").asText();
            if (template == null) throw new IllegalArgumentException(file + ": chat_template list has no 'default' entry");
        } else {
            throw new IllegalArgumentException(file + ": chat_template must be a string or a list of {name, template}");
        }
        Map<String, Object> specials = new HashMap<>();
        for (String key : List.of("bos_token", "eos_token", "pad_token", "unk_token")) {
            JsonNode n = config.get(key);
            if (n == null || n.isNull()) continue;
            specials.put(key, n.isTextual() ? n.asText() : n.path("content").asText());
        }
        return new ChatTemplate(template, specials);
    }

    /** The prompt text for {@code messages} (maps with role/content, as OpenAI). */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, List<Map<String, Object>> tools,
                         Map<String, Object> extra) {
        Map<String, Object> ctx = new LinkedHashMap<>(specialTokens);
        if (extra != null) ctx.putAll(extra);
        ctx.put("messages", new ArrayList<>(messages));
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("tools", tools);
        RenderResult r = jinjava.renderForResult(source, ctx);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String msg = e.getMessage();
                for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                    if (c instanceof TemplateFunctions.TemplateException te) msg = te.getMessage(); // the template's own words
                }
                throw new IllegalArgumentException("chat template failed" + (e.getLineno() > 0 ? " at line " + e.getLineno() : "") + ": " + msg);
            }
        }
        return r.getOutput();
    }
}
