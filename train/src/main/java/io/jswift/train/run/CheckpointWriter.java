package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.nn.Module;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsWriter;
import io.jswift.train.optim.Optimizer;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes {@code checkpoint-STEP/} — model.safetensors (HF names, loadable by transformers), the base
 * model's config and tokenizer files, optimizer.safetensors and trainer_state.json — into a temporary
 * directory that is renamed at the end, so an interrupted save never damages an earlier checkpoint.
 */
final class CheckpointWriter {
    private static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model");

    private CheckpointWriter() {}

    static Path write(Path runDir, Path baseModel, Module model, DType saveType, Optimizer optimizer,
                      Map<String, Object> trainerState, long step) throws IOException {
        Path target = runDir.resolve("checkpoint-" + step);
        Path tmp = runDir.resolve("checkpoint-" + step + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> weights.put(name, t.dtype() == saveType ? t : t.to(saveType)));
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), optimizer.stateDict(), Map.of("step", Long.toString(optimizer.stepCount())));
        for (String f : COPIED) {
            Path src = baseModel.resolve(f);
            if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("trainer_state.json").toFile(), trainerState);
        deleteRecursively(target);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        return target;
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
