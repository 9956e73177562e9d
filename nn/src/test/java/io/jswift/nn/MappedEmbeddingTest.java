package io.jswift.nn;

import io.jswift.autograd.GradMode;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A frozen, memory-mapped embedding table leaves the resident set after a training lookup, and keeps it for generation. */
class MappedEmbeddingTest {
    @TempDir
    Path dir;

    @Test
    void aTrainingLookupDropsTheMappedPagesAndGenerationKeepsThem() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "needs Linux's /proc/self/status (RssFile)");
        int vocab = 4096, dim = 4096; // 32 MiB of bf16
        Tensor table = Tensor.zeros(DType.BF16, vocab, dim);
        for (int i = 0; i < vocab * dim; i++) HostAccess.write(table.hostSegment(), DType.BF16, i, (i % 251) * 0.5);
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, Map.of("weight", table), Map.of());
        Embedding emb = new Embedding(vocab, dim, new Generator(1));
        emb.requiresGrad(false); // frozen before loading: the bf16 checkpoint tensor stays mapped (a trainable one becomes f32)
        emb.loadStateDict(Map.of("weight", SafetensorsFile.open(file).tensor("weight")), true, file.toString());
        long[] every = new long[vocab];
        for (int i = 0; i < vocab; i++) every[i] = i;
        Tensor ids = Tensor.ofLongs(every, 1, vocab);
        float[] expected = table.to(DType.F32).toFloatArray();

        long before = rssFileKb(status);
        float[] generated;
        try (var scope = GradMode.noGrad()) {
            generated = emb.forward(ids).value().toFloatArray(); // touches every row
        }
        long afterGeneration = rssFileKb(status);
        assertTrue(afterGeneration - before >= 24 << 10, "RssFile went from " + before + " to " + afterGeneration
                + " kB after a no-grad lookup of every row; expected ~32 MiB more (the pages stay mapped)");
        float[] trained = emb.forward(ids).value().toFloatArray();
        long afterTraining = rssFileKb(status);
        assertTrue(afterGeneration - afterTraining >= 24 << 10, "RssFile went from " + afterGeneration + " to " + afterTraining
                + " kB after a training lookup; expected ~32 MiB less");
        assertArrayEquals(expected, generated);
        assertArrayEquals(expected, trained, "rows read after the pages were dropped");
    }

    private static long rssFileKb(Path status) throws IOException {
        for (String l : Files.readAllLines(status)) if (l.startsWith("RssFile:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no RssFile line in " + status);
    }
}
