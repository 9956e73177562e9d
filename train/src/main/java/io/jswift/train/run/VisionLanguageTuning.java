package io.jswift.train.run;

import io.jswift.models.adapter.PeftAdapterConfig;
import io.jswift.models.qwen2vl.MultimodalTargetRegex;
import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration;
import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration.Part;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraConfig;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * ms-swift's freeze flags on a vision-language model ({@link FreezeArgs}): the parts a full run trains, and what
 * all-linear adapts: as ms-swift, a regex over the unfrozen parts' linear layers ({@link MultimodalTargetRegex}), which
 * the adapter_config.json keeps as its target_modules and which picks the layers to wrap by PEFT's full-match rule.
 * Text models pass through unchanged.
 */
final class VisionLanguageTuning {
    private VisionLanguageTuning() {}

    /** The parts {@code freeze} leaves trainable. */
    static Set<Part> trained(FreezeArgs freeze) {
        Set<Part> parts = EnumSet.noneOf(Part.class);
        if (!freeze.freezeLlm()) parts.add(Part.LANGUAGE_MODEL);
        if (!freeze.freezeVit()) parts.add(Part.VISION_TOWER);
        if (!freeze.freezeAligner()) parts.add(Part.ALIGNER);
        return parts;
    }

    /**
     * A new adapter: its configuration (the layer paths to wrap) and the target_modules regex to save, null where the
     * saved config keeps the list or all-linear.
     */
    record NewAdapter(LoraConfig config, String targetRegex) {}

    /** A new adapter's configuration: all-linear on a vision-language model becomes ms-swift's regex over the unfrozen parts. */
    static NewAdapter adapterConfig(Module model, LoraConfig config, FreezeArgs freeze) {
        if (!(model instanceof Qwen2VlForConditionalGeneration vl) || !config.allLinear()) return new NewAdapter(config, null);
        String regex = MultimodalTargetRegex.of(vl, trained(freeze));
        List<String> targets = PeftAdapterConfig.regexTargets(vl, regex);
        if (targets.isEmpty()) throw new IllegalArgumentException("--target_modules all-linear: the unfrozen parts have no linear layer");
        return new NewAdapter(new LoraConfig(config.r(), config.alpha(), config.dropout(), config.useRslora(), config.useDora(), targets,
                config.targetParameters()), regex);
    }

    /** Full training: freezes every parameter of the frozen parts (the model was loaded trainable). */
    static void freezeParts(Module model, FreezeArgs freeze) {
        if (!(model instanceof Qwen2VlForConditionalGeneration)) return;
        Set<Part> trained = trained(freeze);
        model.namedParameters().forEach((name, p) -> {
            if (!trained.contains(Qwen2VlForConditionalGeneration.partOf(name))) p.setRequiresGrad(false);
        });
    }
}
