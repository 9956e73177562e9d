package io.jswift.models.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.arch.Architecture;
import io.jswift.models.arch.Architectures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Chat formats jswift knows by heart, used when a model has no chat template or one the renderer cannot run:
 * ChatML (Qwen, many fine-tunes: {@code <|im_start|>role\ncontent<|im_end|>\n}) and Llama 3
 * ({@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}). Which one fits is read off the
 * tokenizer's special tokens, else off the template fallback the architecture registry gives the model's
 * {@code architectures[0]} (config.json); a model with neither has no fallback.
 */
enum BuiltinTemplates {
    CHATML("{%- for message in messages %}"
            + "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{%- endfor %}"
            + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"),
    LLAMA3("{{- bos_token }}"
            + "{%- for message in messages %}"
            + "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
            + "{%- endfor %}"
            + "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}");

    final String source;

    BuiltinTemplates(String source) {
        this.source = source;
    }

    String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    /**
     * The format the architecture registry names for the {@code architectures[0]} of {@code configJson}, if any. The
     * template commands need no config.json: an absent, unreadable or unknown one gives no fallback (loading a model
     * reports those errors).
     */
    static Optional<BuiltinTemplates> forArchitecture(Path configJson) {
        if (!Files.isRegularFile(configJson)) return Optional.empty();
        try {
            String arch = new ObjectMapper().readTree(configJson.toFile()).path("architectures").path(0).asText();
            return Architectures.find(arch).map(Architecture::templateFallback)
                    .flatMap(label -> Arrays.stream(values()).filter(t -> t.label().equals(label)).findFirst());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The format whose markers are among {@code specialTokens}, if any. */
    static Optional<BuiltinTemplates> forTokens(Set<String> specialTokens) {
        if (specialTokens.contains("<|im_start|>") && specialTokens.contains("<|im_end|>")) return Optional.of(CHATML);
        if (specialTokens.contains("<|start_header_id|>") && specialTokens.contains("<|eot_id|>")) return Optional.of(LLAMA3);
        return Optional.empty();
    }
}
