package io.jswift.tensor.io;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tensor.unloadMappedPages: a mapped checkpoint tensor leaves the resident set and keeps its contents. */
class MappedPagesTest {
    @TempDir
    Path dir;

    @Test
    void unloadDropsFileBackedPagesAndKeepsContents() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "needs Linux's /proc/self/status (RssFile)");
        int n = 16 << 20; // 32 MiB of bf16
        Tensor w0 = Tensor.zeros(DType.BF16, 4096, n / 4096), small = Tensor.zeros(DType.BF16, 3);
        for (int i = 0; i < n; i++) HostAccess.write(w0.hostSegment(), DType.BF16, i, (i % 977) * 0.25);
        for (int i = 0; i < 3; i++) HostAccess.write(small.hostSegment(), DType.BF16, i, i + 1);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("small", small);
        tensors.put("w", w0);
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of());
        SafetensorsFile mapped = SafetensorsFile.open(file);
        Tensor w = mapped.tensor("w");
        float[] read = w.toFloatArray(); // touches every page of w
        long before = rssFileKb(status);
        w.unloadMappedPages();
        long after = rssFileKb(status);
        assertTrue(before - after >= 24 << 10, "RssFile went from " + before + " to " + after + " kB; expected ~32 MiB less");
        assertArrayEquals(read, w.toFloatArray(), "contents after unloading");
        assertArrayEquals(new float[]{1, 2, 3}, mapped.tensor("small").toFloatArray(), "a neighbour sharing a page");
        Tensor heap = Tensor.of(new float[]{4, 5}, 2);
        heap.unloadMappedPages(); // not mapped: nothing happens
        assertArrayEquals(new float[]{4, 5}, heap.toFloatArray());
    }

    private static long rssFileKb(Path status) throws IOException {
        List<String> lines = Files.readAllLines(status);
        for (String l : lines) if (l.startsWith("RssFile:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no RssFile line in " + status);
    }
}
