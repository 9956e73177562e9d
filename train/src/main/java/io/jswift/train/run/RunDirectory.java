package io.jswift.train.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** ms-swift's run layout: {@code output_dir/vN-YYYYMMDD-HHMMSS/} with N one more than the highest existing. */
public final class RunDirectory {
    private static final Pattern VERSION = Pattern.compile("v(\\d+)-\\d{8}-\\d{6}");

    private RunDirectory() {}

    public static Path create(Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        int next = 0;
        try (Stream<Path> entries = Files.list(outputDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = VERSION.matcher(p.getFileName().toString());
                if (m.matches()) next = Math.max(next, Integer.parseInt(m.group(1)) + 1);
            }
        }
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Files.createDirectories(outputDir.resolve("v" + next + "-" + stamp));
    }

    /** The run directory {@link #create} made last in {@code outputDir} (the highest vN), or null when there is none. */
    public static Path latest(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) return null;
        Path best = null;
        int version = -1;
        try (Stream<Path> entries = Files.list(outputDir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Matcher m = VERSION.matcher(p.getFileName().toString());
                if (m.matches() && Integer.parseInt(m.group(1)) > version) {
                    version = Integer.parseInt(m.group(1));
                    best = p;
                }
            }
        }
        return best;
    }
}
