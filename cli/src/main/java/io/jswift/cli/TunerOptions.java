package io.jswift.cli;

import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Option;

import java.util.List;

/** What is trained: --train_type and the LoRA / DoRA hyper-parameters, ms-swift's names and defaults (picocli mixin). */
final class TunerOptions {
    @Option(names = {"--train_type", "--tuner_type"}, defaultValue = "lora", description = "lora, dora or full (default lora).") String trainType;
    @Option(names = "--lora_rank", defaultValue = "8") int loraRank;
    @Option(names = "--lora_alpha", defaultValue = "32") double loraAlpha;
    @Option(names = "--lora_dropout", defaultValue = "0.05") double loraDropout;
    @Option(names = "--use_rslora", arity = "0..1", fallbackValue = "true", defaultValue = "false", description = "Scale by alpha/sqrt(r) (rsLoRA).") boolean useRslora;
    @Option(names = "--target_modules", arity = "1..*", split = ",", defaultValue = "all-linear", description = "all-linear, or names such as q_proj,v_proj.") List<String> targetModules;

    TunerArgs toArgs() {
        return new TunerArgs(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules);
    }
}
