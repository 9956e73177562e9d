package io.jswift.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The NVRTC output cache: keyed by program text and target, optional (a broken or disabled cache is a miss). */
class PtxCacheTest {
    @TempDir
    Path dir;

    private static final byte[] PTX = ".version 9.0\n.target sm_90\n\0".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aStoredProgramIsFoundForTheSameTextAndTargetOnly() {
        PtxCache cache = new PtxCache(dir.resolve("ptx"));
        assertNull(cache.get("KERNEL void f() {}", "compute_90"));
        cache.put("KERNEL void f() {}", "compute_90", PTX);
        assertArrayEquals(PTX, cache.get("KERNEL void f() {}", "compute_90"));
        assertArrayEquals(PTX, new PtxCache(dir.resolve("ptx")).get("KERNEL void f() {}", "compute_90"), "another process reads it");
        assertNull(cache.get("KERNEL void f() { }", "compute_90"), "changed text: a new entry");
        assertNull(cache.get("KERNEL void f() {}", "compute_80"), "another target: a new entry");
    }

    @Test
    void anUnwritableOrDisabledCacheIsOnlyAMiss() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        PtxCache broken = new PtxCache(file.resolve("ptx"));
        broken.put("t", "compute_90", PTX);
        assertNull(broken.get("t", "compute_90"));
        PtxCache off = new PtxCache(null);
        off.put("t", "compute_90", PTX);
        assertNull(off.get("t", "compute_90"));
    }
}
