package io.jswift.models.chat;

import java.util.Optional;
import java.util.Set;

/**
 * Chat formats jswift knows by heart, used when a model has no chat template or one the renderer cannot run:
 * ChatML (Qwen, many fine-tunes: {@code <|im_start|>role\ncontent<|im_end|>\n}) and Llama 3
 * ({@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}). Which one fits is read off the
 * tokenizer's special tokens; a model with neither has no fallback.
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

    /** The format whose markers are among {@code specialTokens}, if any. */
    static Optional<BuiltinTemplates> forTokens(Set<String> specialTokens) {
        if (specialTokens.contains("<|im_start|>") && specialTokens.contains("<|im_end|>")) return Optional.of(CHATML);
        if (specialTokens.contains("<|start_header_id|>") && specialTokens.contains("<|eot_id|>")) return Optional.of(LLAMA3);
        return Optional.empty();
    }
}
