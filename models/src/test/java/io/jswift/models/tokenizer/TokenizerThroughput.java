package io.jswift.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: load time and single-thread encode throughput on the committed corpus (the whole corpus encoded
 * as one text, and text by text). Run after test-compile:
 * {@code java -cp models/target/classes:models/target/test-classes:$(cat /tmp/cp) io.jswift.models.tokenizer.TokenizerThroughput models/src/test/resources/tokenizers}
 */
public final class TokenizerThroughput {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/src/test/resources/tokenizers");
        List<String> corpus = new ArrayList<>();
        TokenizerGoldenTest.JSON.readTree(dir.resolve("corpus.json").toFile()).forEach(n -> corpus.add(n.asText()));
        String joined = String.join("\n", corpus);
        long bytes = joined.getBytes(StandardCharsets.UTF_8).length;
        for (String name : new String[]{"qwen3", "llama3", "llama2"}) {
            long t0 = System.nanoTime();
            Tokenizer tok = Tokenizer.fromDirectory(dir.resolve(name));
            double loadMs = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            Tokenizer.fromDirectory(dir.resolve(name));
            double reloadMs = (System.nanoTime() - t0) / 1e6;
            int tokens = tok.encode(joined, false).length;
            double joinedMBs = mbPerSecond(() -> tok.encode(joined, false), bytes);
            double eachMBs = mbPerSecond(() -> corpus.forEach(t -> tok.encode(t, false)), bytes);
            System.out.printf("%-7s load %.0f ms (second load %.0f ms); corpus %d bytes -> %d tokens; encode %.1f MB/s as one text, %.1f MB/s text by text%n",
                    name, loadMs, reloadMs, bytes, tokens, joinedMBs, eachMBs);
        }
    }

    /** Runs {@code work} for 3 s to warm up, then times it for 3 s. */
    private static double mbPerSecond(Runnable work, long bytesPerRun) {
        for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) work.run();
        long runs = 0, t0 = System.nanoTime(), end = t0 + 3_000_000_000L;
        while (System.nanoTime() < end) {
            work.run();
            runs++;
        }
        return bytesPerRun * runs / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }
}
