package io.jswift.train.run;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** LoRA / DoRA checkpoints: {@code adapter_model.safetensors} + {@code adapter_config.json} exactly as PEFT writes them. */
public final class AdapterWeights implements TrainedWeights {
    private final Module model;
    private final LoraConfig config;
    private final String targetRegex;
    private final Path baseModel;

    public AdapterWeights(Module model, LoraConfig config, Path baseModel) {
        this(model, config, null, baseModel);
    }

    /** {@code targetRegex}: the target_modules regex to save (a vision-language model's all-linear), or null. */
    public AdapterWeights(Module model, LoraConfig config, String targetRegex, Path baseModel) {
        this.model = model;
        this.config = config;
        this.targetRegex = targetRegex;
        this.baseModel = baseModel;
    }

    @Override
    public void write(Path dir) throws IOException {
        PeftAdapter.save(dir, model, config, baseModel.toAbsolutePath().normalize().toString(), targetRegex);
    }

    @Override
    public void restore(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve("adapter_model.safetensors"))) {
            throw new TrainingException(dir + " has no adapter_model.safetensors: not a LoRA / DoRA checkpoint (was it --train_type full?)");
        }
        PeftAdapter.loadWeights(dir, model);
    }
}
