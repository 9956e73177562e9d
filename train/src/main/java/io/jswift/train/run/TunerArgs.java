package io.jswift.train.run;

import io.jswift.nn.lora.LoraConfig;

import java.util.List;

/**
 * What {@code jswift sft} trains: every weight ({@code full}) or a LoRA / DoRA adapter on the target linear
 * layers (ms-swift's --train_type / --tuner_type with PEFT's hyper-parameters and ms-swift's defaults).
 */
public record TunerArgs(String trainType, int loraRank, double loraAlpha, double loraDropout, boolean useRslora, List<String> targetModules) {
    public TunerArgs {
        if (!trainType.equals("full") && !trainType.equals("lora") && !trainType.equals("dora")) {
            String hint = trainType.equals("qlora") ? " (QLoRA needs NF4 weights, not available yet)" : "";
            throw new IllegalArgumentException("--train_type must be lora, dora or full, got '" + trainType + "'" + hint);
        }
        targetModules = List.copyOf(targetModules);
    }

    public boolean isFull() { return trainType.equals("full"); }

    /** The adapter's configuration (lora / dora only). */
    public LoraConfig loraConfig() {
        if (isFull()) throw new IllegalStateException("full training has no adapter");
        return new LoraConfig(loraRank, loraAlpha, loraDropout, useRslora, trainType.equals("dora"), targetModules);
    }
}
