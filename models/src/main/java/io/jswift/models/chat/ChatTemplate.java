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
    private final BuiltinTemplates fallback;         // used when the model's template cannot be rendered; may be null
    private final java.util.function.Consumer<String> warnings;
    private boolean warned;

    ChatTemplate(String source, Map<String, Object> specialTokens) {
        this(source, specialTokens, null, w -> {});
    }

    ChatTemplate(String source, Map<String, Object> specialTokens, BuiltinTemplates fallback, java.util.function.Consumer<String> warnings) {
        this.source = TemplateSyntax.toJinjava(source);
        this.specialTokens = specialTokens;
        this.fallback = fallback;
        this.warnings = warnings;
        JinjavaConfig config = JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withFailOnUnknownTokens(false).build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        for (var f : PyStringFilters.all()) jinjava.getGlobalContext().registerFilter(f);
        jinjava.getGlobalContext().registerFilter(new PyJson());
    }

    /** Reads the template and special tokens of {@code dir/tokenizer_config.json}; warnings go to standard error. */
    public static ChatTemplate fromDirectory(Path dir) throws IOException {
        return fromDirectory(dir, w -> System.err.println("warning: " + w));
    }

    /**
     * Reads the model's template: {@code chat_template} of tokenizer_config.json, else {@code chat_template.jinja}
     * (where transformers >= 4.43 saves it), else a processor's {@code chat_template.json}. A model without one gets the built-in format its special tokens name
     * (ChatML or Llama 3), with a warning; the same fallback is used, with a warning, if the model's template
     * cannot be rendered (a template's own raise_exception is an error, not a reason to fall back).
     */
    public static ChatTemplate fromDirectory(Path dir, java.util.function.Consumer<String> warnings) throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(file)) throw new IOException(file + " does not exist (the chat template and special tokens live there)");
        JsonNode config = new ObjectMapper().readTree(Files.readString(file));
        JsonNode t = config.get("chat_template");
        Path jinjaFile = dir.resolve("chat_template.jinja");
        BuiltinTemplates fallback = BuiltinTemplates.forTokens(specialTokenContents(config))
                .or(() -> BuiltinTemplates.forArchitecture(dir.resolve("config.json"))).orElse(null);
        Path jsonFile = dir.resolve("chat_template.json"); // a processor's (Qwen2-VL hub repositories): {"chat_template": "..."}
        String template;
        if ((t == null || t.isNull()) && Files.isRegularFile(jinjaFile)) {
            template = Files.readString(jinjaFile);
        } else if ((t == null || t.isNull()) && Files.isRegularFile(jsonFile)) {
            JsonNode processor = new ObjectMapper().readTree(Files.readString(jsonFile));
            if (!processor.path("chat_template").isTextual()) throw new IllegalArgumentException(jsonFile + ": expected {\"chat_template\": \"...\"}");
            template = processor.get("chat_template").asText();
        } else if (t == null || t.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException(file + ": no chat_template (nor chat_template.jinja), and its special tokens match no "
                        + "built-in format (ChatML, Llama 3), nor does its architecture name one: add the model's chat template");
            }
            warnings.accept(file + " has no chat_template: using the built-in " + fallback.label() + " format");
            template = fallback.source;
        } else if (t.isTextual()) {
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
        return new ChatTemplate(template, specials, fallback, warnings);
    }

    /** Contents of the special tokens tokenizer_config.json lists (added_tokens_decoder and the named ones). */
    private static java.util.Set<String> specialTokenContents(JsonNode config) {
        java.util.Set<String> out = new java.util.HashSet<>();
        config.path("added_tokens_decoder").forEach(n -> out.add(n.path("content").asText()));
        config.path("additional_special_tokens").forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("content").asText()));
        return out;
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
        if (fallback != null && !source.equals(fallback.source) && unrenderable(r)) {
            if (!warned) {
                warnings.accept("the model's chat template cannot be rendered (" + firstFatal(r) + "): using the built-in "
                        + fallback.label() + " format");
                warned = true;
            }
            r = jinjava.renderForResult(fallback.source, ctx);
        }
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

    /** A fatal error that is the renderer's (syntax, unknown construct), not the template's own raise_exception. */
    private static boolean unrenderable(RenderResult r) {
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) continue;
            for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                if (c instanceof TemplateFunctions.TemplateException) return false;
            }
            return true;
        }
        return false;
    }

    private static String firstFatal(RenderResult r) {
        for (TemplateError e : r.getErrors()) if (e.getSeverity() == TemplateError.ErrorType.FATAL) return e.getMessage();
        return "";
    }
}
