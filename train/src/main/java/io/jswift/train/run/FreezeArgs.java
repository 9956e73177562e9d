package io.jswift.train.run;

/**
 * ms-swift's --freeze_llm / --freeze_vit / --freeze_aligner for a vision-language model (ignored by text models, as
 * ms-swift does): which parts a full run leaves frozen, and which parts all-linear LoRA adapts (ms-swift's
 * get_multimodal_target_regex covers the language model unless freeze_llm, the vision tower unless freeze_vit, the
 * aligner (Qwen2-VL's merger) unless freeze_aligner). Defaults as ms-swift: only the language model is trained.
 */
public record FreezeArgs(boolean freezeLlm, boolean freezeVit, boolean freezeAligner) {
    public static final FreezeArgs DEFAULTS = new FreezeArgs(false, true, true);

    public FreezeArgs {
        if (freezeLlm && freezeVit && freezeAligner) {
            throw new IllegalArgumentException("--freeze_llm, --freeze_vit and --freeze_aligner are all true: nothing would be trained");
        }
    }
}
