package io.jswift.train.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** {@code --save_total_limit N}: after each save, delete the oldest {@code checkpoint-STEP} directories beyond N (HF's rotation). */
final class CheckpointRotation {
    private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");

    private CheckpointRotation() {}

    /** Deletes all but the {@code limit} highest-step checkpoints; returns the deleted directories. A limit < 1 keeps all. */
    static List<Path> enforce(Path runDir, int limit) throws IOException {
        List<Path> deleted = new ArrayList<>();
        if (limit < 1) return deleted;
        List<long[]> steps = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(runDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    steps.add(new long[] {Long.parseLong(m.group(1)), dirs.size()});
                    dirs.add(p);
                }
            }
        }
        steps.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 0; i < steps.size() - limit; i++) {
            Path p = dirs.get((int) steps.get(i)[1]);
            CheckpointWriter.deleteRecursively(p);
            deleted.add(p);
        }
        return deleted;
    }
}
