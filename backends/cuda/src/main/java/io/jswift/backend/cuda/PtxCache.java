package io.jswift.backend.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * PTX that NVRTC compiled, kept on disk so the next process loads it instead of compiling again (each portable
 * program costs NVRTC tens of milliseconds, and a training run or a test suite asks for hundreds). One file per
 * program text and target ({@code <key>.ptx}, the key as {@link PrebuiltPrograms#key} of both), in
 * {@code JSWIFT_CUDA_CACHE}, else {@code $XDG_CACHE_HOME/jswift/cuda-ptx}, else {@code ~/.cache/jswift/cuda-ptx};
 * {@code JSWIFT_CUDA_CACHE=off} disables it. Equal text, equal key: a changed kernel or prelude is a new entry, so the
 * cache never needs invalidating. It is an optimization only: an unreadable or unwritable cache is skipped silently.
 */
final class PtxCache {
    private final Path dir; // null: disabled

    PtxCache(Path dir) { this.dir = dir; }

    /** The cache the environment names (see the class comment). */
    static PtxCache fromEnvironment() {
        String env = System.getenv("JSWIFT_CUDA_CACHE");
        if ("off".equals(env)) return new PtxCache(null);
        if (env != null && !env.isBlank()) return new PtxCache(Path.of(env));
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new PtxCache(base.resolve("jswift").resolve("cuda-ptx"));
    }

    /** The cached NUL-terminated PTX of {@code text} for {@code arch}, or null. */
    byte[] get(String text, String arch) {
        if (dir == null) return null;
        try {
            Path f = file(text, arch);
            return Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Stores {@code ptx} (written to a temporary file, then renamed: a concurrent reader never sees half of it). */
    void put(String text, String arch, byte[] ptx) {
        if (dir == null) return;
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "ptx", ".tmp");
            Files.write(tmp, ptx);
            Files.move(tmp, file(text, arch), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // optional: the next process compiles again
        }
    }

    private Path file(String text, String arch) {
        return dir.resolve(PrebuiltPrograms.key(arch + "\n" + text) + ".ptx");
    }
}
