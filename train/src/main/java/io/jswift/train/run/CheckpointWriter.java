package io.jswift.train.run;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsWriter;
import io.jswift.train.optim.Optimizer;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes {@code checkpoint-STEP/} — the trained weights (full model or adapter), optimizer.safetensors,
 * trainer_state.json and args.json — into a temporary directory that is renamed at the end, so an
 * interrupted save never damages an earlier checkpoint.
 */
final class CheckpointWriter {
    private CheckpointWriter() {}

    static Path write(Path runDir, TrainedWeights weights, Optimizer optimizer, TrainerState state, long step) throws IOException {
        Path target = runDir.resolve("checkpoint-" + step);
        Path tmp = runDir.resolve("checkpoint-" + step + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        weights.write(tmp);
        Map<String, Tensor> optimizerState = optimizer.stateDict();
        SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), optimizerState, Map.of("step", Long.toString(optimizer.stepCount())));
        state.write(tmp.resolve(TrainerState.FILE));
        Path args = runDir.resolve("args.json");
        if (Files.isRegularFile(args)) Files.copy(args, tmp.resolve("args.json"));
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
