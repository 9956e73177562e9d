package io.jswift.train.run;

import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.quant.QuantConfig4bit;

import java.util.List;

/**
 * What {@code jswift sft} trains: every weight ({@code full}) or a LoRA / DoRA adapter on the target linear
 * layers (ms-swift's --train_type / --tuner_type with PEFT's hyper-parameters and ms-swift's defaults), optionally
 * on a base quantized to 4 bits as it loads ({@code quantization}, null for none: QLoRA); {@code freeze}: the parts of a
 * vision-language model left out of training; {@code targetParameters}: ms-swift's --target_parameters (PEFT's
 * target_parameters: LoRA on fused expert parameters), empty for none.
 */
public record TunerArgs(String trainType, int loraRank, double loraAlpha, double loraDropout, boolean useRslora, List<String> targetModules,
                        QuantConfig4bit quantization, FreezeArgs freeze, List<String> targetParameters) {
    /** Without target parameters. */
    public TunerArgs(String trainType, int loraRank, double loraAlpha, double loraDropout, boolean useRslora, List<String> targetModules,
                     QuantConfig4bit quantization, FreezeArgs freeze) {
        this(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules, quantization, freeze, List.of());
    }

    public TunerArgs(String trainType, int loraRank, double loraAlpha, double loraDropout, boolean useRslora, List<String> targetModules) {
        this(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules, null);
    }

    /** With ms-swift's default freezing of a vision-language model's parts. */
    public TunerArgs(String trainType, int loraRank, double loraAlpha, double loraDropout, boolean useRslora, List<String> targetModules,
                     QuantConfig4bit quantization) {
        this(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules, quantization, FreezeArgs.DEFAULTS);
    }

    public TunerArgs {
        if (!trainType.equals("full") && !trainType.equals("lora") && !trainType.equals("dora")) {
            String hint = trainType.equals("qlora") ? " (QLoRA, as in ms-swift: --train_type lora --quant_method bnb --quant_bits 4)" : "";
            throw new IllegalArgumentException("--train_type must be lora, dora or full, got '" + trainType + "'" + hint);
        }
        targetModules = List.copyOf(targetModules);
        if (freeze == null) freeze = FreezeArgs.DEFAULTS;
        targetParameters = targetParameters == null ? List.of() : List.copyOf(targetParameters);
    }

    public boolean isFull() { return trainType.equals("full"); }

    /** The adapter's configuration (lora / dora only). */
    public LoraConfig loraConfig() {
        if (isFull()) throw new IllegalStateException("full training has no adapter");
        return new LoraConfig(loraRank, loraAlpha, loraDropout, useRslora, trainType.equals("dora"), targetModules, targetParameters);
    }
}
