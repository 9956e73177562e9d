package io.jswift.train.run;

import io.jswift.models.arch.Architectures;
import io.jswift.models.load.CheckpointLayout;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full fine-tuning checkpoints: {@code model.safetensors} with HF names in the save dtype (loadable by
 * transformers) plus the base model's config and tokenizer files. When the save dtype is narrower than the
 * f32 master weights, the masters also go to {@code master_weights.safetensors}, so a resumed run continues
 * from the exact weights instead of rounded ones.
 */
public final class FullWeights implements TrainedWeights {
    static final String MASTER_FILE = "master_weights.safetensors";
    private static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja");

    private final Module model;
    private final DType saveType;
    private final Path baseModel;

    public FullWeights(Module model, DType saveType, Path baseModel) {
        this.model = model;
        this.saveType = saveType;
        this.baseModel = baseModel;
    }

    @Override
    public void write(Path dir) throws IOException {
        Map<String, Tensor> weights = new LinkedHashMap<>(), masters = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            Tensor t = p.value().to(Device.CPU); // saved from a host copy: the cast to the save dtype rounds as on the cpu
            weights.put(name, t.dtype() == saveType || p.isBuffer() ? t : t.to(saveType)); // buffers keep their dtype (see ModelWriter)
            if (p.requiresGrad() && t.dtype() != saveType) masters.put(name, t);
        });
        CheckpointLayout layout = Architectures.layoutOf(model); // MoE experts: one tensor each, as save_pretrained writes them
        SafetensorsWriter.write(dir.resolve("model.safetensors"), layout.toCheckpoint(weights), Map.of("format", "pt"));
        if (!masters.isEmpty()) SafetensorsWriter.write(dir.resolve(MASTER_FILE), layout.toCheckpoint(masters), Map.of("format", "pt"));
        for (String f : COPIED) {
            Path src = baseModel.resolve(f);
            if (Files.isRegularFile(src)) Files.copy(src, dir.resolve(f));
        }
    }

    @Override
    public void restore(Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(file)) throw new TrainingException(dir + " has no model.safetensors: not a full-training checkpoint");
        SafetensorsFile saved = SafetensorsFile.open(file);
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String name : saved.names()) state.put(name, saved.tensor(name));
        Path masterFile = dir.resolve(MASTER_FILE);
        if (Files.isRegularFile(masterFile)) {
            SafetensorsFile masters = SafetensorsFile.open(masterFile);
            for (String name : masters.names()) state.put(name, masters.tensor(name));
        }
        model.loadStateDict(Architectures.layoutOf(model).toModule(state, file.toString()), true, file.toString());
        // loaded tensors are memory-mapped views of the checkpoint: train private copies
        for (Parameter p : model.namedParameters().values()) if (p.requiresGrad()) p.setValue(p.value().to(DType.F32).copy());
    }
}
