package io.jswift.cli;

import io.jswift.models.adapter.PeftAdapterConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which base model an adapter command runs on: {@code --model} when given, else the adapter's own record of it
 * (ms-swift's `swift infer --adapters CKPT` finds the base from the checkpoint; PEFT records it as
 * adapter_config.json's base_model_name_or_path, which jswift sft writes as an absolute path).
 */
final class AdapterBase {
    private AdapterBase() {}

    static Path modelOrBase(Path model, Path adapters) throws IOException {
        if (model != null) return model;
        if (adapters == null) throw new IllegalArgumentException("--model is required (or --adapters, whose adapter_config.json names the base model)");
        Path config = adapters.resolve(PeftAdapterConfig.FILE);
        if (!Files.isRegularFile(config)) throw new IllegalArgumentException("--adapters " + adapters + " has no " + PeftAdapterConfig.FILE);
        String name = PeftAdapterConfig.read(config).baseModelNameOrPath();
        if (name == null || !Files.isDirectory(Path.of(name))) {
            throw new IllegalArgumentException("--model is needed: " + config + " names base model "
                    + (name == null ? "none" : "'" + name + "', which is not a directory here"));
        }
        return Path.of(name);
    }
}
