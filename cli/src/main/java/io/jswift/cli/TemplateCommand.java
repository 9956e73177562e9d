package io.jswift.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.models.vision.Qwen2VlPrompts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jswift template}: exactly what the model sees for an OpenAI-style messages list —
 * {"text": rendered chat template, "input_ids": that text tokenized without adding specials}.
 */
@Command(name = "template", description = "Render a messages list with the model's chat template and tokenize it.")
final class TemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "Model directory with tokenizer.json and tokenizer_config.json.") Path model;
    @Option(names = "--messages", required = true, description = "JSON array of {role, content, ...}, or an object with \"messages\" (and "
            + "\"tools\", \"images\"); contents may be part lists with images.") Path messages;
    @Option(names = "--images", arity = "1..*", description = "Image files for the messages' <image> tags (ms-swift; untagged ones go "
            + "first in the first user message). With images, input_ids are the processor's (each image's tokens expanded); needs "
            + "preprocessor_config.json.") List<String> images;
    @Option(names = "--add_generation_prompt", description = "Append the assistant turn header.") boolean addGenerationPrompt;
    @Option(names = "--tools", description = "JSON array of OpenAI tool definitions.") Path tools;
    @Option(names = "--output", required = true, description = "Output JSON file.") Path output;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        MessagesFile file = MessagesFile.read(messages, images);
        List<Map<String, Object>> toolList = tools != null ? JSON.convertValue(readJson(tools), new TypeReference<>() {}) : file.tools();
        String text;
        int[] ids;
        if (file.hasImages()) { // a vision-language model's processor: each image's pad run expanded to its token count
            Qwen2VlPrompts.Encoded e = Qwen2VlPrompts.fromDirectory(model).encode(file.withImages(), addGenerationPrompt, toolList, file.baseDir());
            text = e.text();
            ids = e.ids();
        } else {
            text = ChatTemplate.fromDirectory(model).render(file.messages(), addGenerationPrompt, toolList, null);
            ids = Tokenizer.fromDirectory(model).encode(text, false);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("text", text);
        out.put("input_ids", ids);
        JSON.writeValue(output.toFile(), out);
        System.out.println("wrote " + ids.length + " token ids to " + output);
        return 0;
    }

    private static JsonNode readJson(Path file) throws java.io.IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
    }
}
