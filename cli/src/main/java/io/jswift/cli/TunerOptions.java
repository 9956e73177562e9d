package io.jswift.cli;

import io.jswift.train.run.FreezeArgs;
import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

import java.util.List;

/**
 * What is trained: --train_type and the LoRA / DoRA hyper-parameters, and the quantization of the frozen base (QLoRA),
 * ms-swift's names and defaults (picocli mixin).
 */
final class TunerOptions {
    @Option(names = {"--train_type", "--tuner_type"}, defaultValue = "lora", description = "lora, dora or full (default lora).") String trainType;
    @Option(names = "--lora_rank", defaultValue = "8") int loraRank;
    @Option(names = "--lora_alpha", defaultValue = "32") double loraAlpha;
    @Option(names = "--lora_dropout", defaultValue = "0.05") double loraDropout;
    @Option(names = "--use_rslora", arity = "0..1", fallbackValue = "true", defaultValue = "false", description = "Scale by alpha/sqrt(r) (rsLoRA).") boolean useRslora;
    @Option(names = "--target_modules", arity = "1..*", split = ",", defaultValue = "all-linear", description = "all-linear, or names such as q_proj,v_proj.") List<String> targetModules;
    @Option(names = "--target_parameters", arity = "1..*", split = ",",
            description = "3-D parameters to adapt, e.g. mlp.experts.gate_up_proj mlp.experts.down_proj (PEFT's target_parameters: LoRA on fused MoE experts; needs --lora_dropout 0).")
    List<String> targetParameters;

    @Option(names = "--freeze_llm", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Vision-language models: leave the language model untrained (default false).") boolean freezeLlm;
    @Option(names = "--freeze_vit", arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "Vision-language models: leave the vision tower untrained (default true).") boolean freezeVit;
    @Option(names = "--freeze_aligner", arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "Vision-language models: leave the aligner (Qwen2-VL's merger) untrained (default true).") boolean freezeAligner;

    @Mixin QuantOptions quant;

    /** {@code model} and {@code torchDtype} (may be null) set the default compute dtype of a base quantized at load. */
    TunerArgs toArgs(Path model, String torchDtype) throws IOException {
        return new TunerArgs(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules, quant.resolve(model, torchDtype),
                new FreezeArgs(freezeLlm, freezeVit, freezeAligner), targetParameters);
    }
}
