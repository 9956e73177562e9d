package io.jswift.train.encode;

import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetLoader;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Message;
import io.jswift.train.data.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncodedDatasetTest {
    @TempDir
    Path dir;

    private static EncodedDataset.Options options(int maxLength, Truncation.Strategy strategy, boolean packing, boolean skip, double split) {
        return new EncodedDataset.Options(maxLength, strategy, packing, skip, 42, split, 0);
    }

    private static EncodedDataset.Options simple() {
        return options(64, Truncation.Strategy.DELETE, false, false, 0);
    }

    /** Row i (on line i + 1) is the ids [i, i + 1, ..., i + len - 1]: get(k).inputIds()[0] tells which row it is. */
    private Path numbered(String name, int rows, int length) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) sb.append(tokenized(i, length)).append('\n');
        return write(name, sb.toString());
    }

    private static String tokenized(int first, int length) {
        StringBuilder sb = new StringBuilder("{\"input_ids\": [");
        for (int j = 0; j < length; j++) sb.append(j == 0 ? "" : ", ").append(first + j);
        return sb.append("]}").toString();
    }

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private static List<DatasetSpec> specs(Object... files) {
        List<DatasetSpec> out = new ArrayList<>();
        for (Object f : files) out.add(DatasetSpec.parse(f.toString()));
        return out;
    }

    private static List<Integer> firstIds(EncodedDataset d) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) out.add(d.get(i).inputIds()[0]);
        return out;
    }

    @Test
    void rowsAreReadAgainAndEncodedOnDemand() throws IOException {
        Path a = numbered("a.jsonl", 5, 3), b = write("b.json", "\uFEFF[\n  " + tokenized(100, 4) + ",\n  " + tokenized(200, 2) + "\n]\n");
        EncodedDataset d = EncodedDataset.load(specs(a, b), List.of(), new PretrainEncoder(null), simple()).train();
        assertEquals(7, d.size());
        assertEquals(List.of(0, 1, 2, 3, 4, 100, 200), firstIds(d));
        assertArrayEquals(new int[]{100, 101, 102, 103}, d.get(5).inputIds());
        assertArrayEquals(new int[]{200, 201}, d.get(6).labels());
        assertEquals(4, d.length(5));
        assertEquals(new EncodedDataset.Counts(7, 7, 5 * 3 + 4 + 2, 0, 0, 0, 0), d.counts());
        assertThrows(IndexOutOfBoundsException.class, () -> d.get(7));
    }

    @Test
    void aBadRowFailsWithItsLineOrIsCountedWhenSkipped() throws IOException {
        Path parse = write("parse.jsonl", tokenized(0, 3) + "\n" + tokenized(1, 3) + "\n{\"input_ids\": [1, \n" + tokenized(2, 3) + "\n");
        DatasetException e = assertThrows(DatasetException.class,
                () -> EncodedDataset.load(specs(parse), List.of(), new PretrainEncoder(null), simple()));
        assertTrue(e.getMessage().startsWith(parse + ":3: not valid JSON"), e.getMessage());
        EncodedDataset skipped = EncodedDataset.load(specs(parse), List.of(), new PretrainEncoder(null),
                options(64, Truncation.Strategy.DELETE, false, true, 0)).train();
        assertEquals(List.of(0, 1, 2), firstIds(skipped));
        assertEquals(1, skipped.counts().badRows());

        // a row that parses but cannot be encoded (a conversation for jswift pt)
        Path encode = write("encode.jsonl", tokenized(0, 3) + "\n\n{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n");
        DatasetException enc = assertThrows(DatasetException.class,
                () -> EncodedDataset.load(specs(encode), List.of(), new PretrainEncoder(null), simple()));
        assertEquals(encode + ":3: jswift pt trains on text or pre-tokenized rows; conversations and preference rows are for jswift sft / rlhf"
                + " (use --skip_bad_rows to skip such rows)", enc.getMessage());
        EncodedDataset.Counts c = EncodedDataset.load(specs(encode), List.of(), new PretrainEncoder(null),
                options(64, Truncation.Strategy.DELETE, false, true, 0)).train().counts();
        assertEquals(1, c.samples());
        assertEquals(1, c.badRows());

        Path vocab = write("vocab.jsonl", tokenized(0, 3) + "\n" + tokenized(126, 3) + "\n");
        DatasetException v = assertThrows(DatasetException.class, () -> EncodedDataset.load(specs(vocab), List.of(), new PretrainEncoder(null),
                new EncodedDataset.Options(64, Truncation.Strategy.DELETE, false, false, 1, 0, 128)));
        assertTrue(v.getMessage().startsWith(vocab + ":2: token id 128 is outside the vocabulary [0, 128)"), v.getMessage());
    }

    @Test
    void longRowsAreDeletedOrCutAndRowsWithoutTargetsDropped() throws IOException {
        Path p = write("len.jsonl", String.join("\n", tokenized(0, 4), tokenized(10, 9), tokenized(20, 6),
                "{\"input_ids\": [1, 2, 3], \"labels\": [-100, -100, -100]}", "{\"input_ids\": [30, 31, 32, 33, 34, 35, 36], \"labels\": [30, 31, 32, 33, -100, -100, -100]}", ""));
        EncodedDataset deleted = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(6, Truncation.Strategy.DELETE, false, false, 0)).train();
        assertEquals(List.of(0, 20), firstIds(deleted));
        assertEquals(new EncodedDataset.Counts(2, 2, 10, 0, 2, 0, 1), deleted.counts());

        EncodedDataset left = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(6, Truncation.Strategy.LEFT, false, false, 0)).train();
        assertEquals(List.of(0, 13, 20, 31), firstIds(left));
        assertEquals(new EncodedDataset.Counts(4, 4, 22, 0, 0, 2, 1), left.counts());
        assertArrayEquals(new int[]{-100, 14, 15, 16, 17, 18}, left.get(1).labels());
        assertArrayEquals(new int[]{-100, 32, 33, -100, -100, -100}, left.get(3).labels());

        EncodedDataset right = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(6, Truncation.Strategy.RIGHT, false, false, 0)).train();
        assertEquals(List.of(0, 10, 20, 30), firstIds(right));
        assertEquals(new EncodedDataset.Counts(4, 4, 22, 0, 0, 2, 1), right.counts());
        assertArrayEquals(new int[]{30, 31, 32, 33, 34, 35}, right.get(3).inputIds());
        assertArrayEquals(new int[]{-100, 31, 32, 33, -100, -100}, right.get(3).labels());

        Path none = write("none.jsonl", tokenized(0, 9) + "\n");
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> EncodedDataset.load(specs(none), List.of(), new PretrainEncoder(null), options(6, Truncation.Strategy.DELETE, false, false, 0)));
        assertEquals("no training rows left: 0 bad, 1 longer than --max_length 6 (deleted), 0 without any token to learn", empty.getMessage());
    }

    @Test
    void sampledRowsAreTheOnesDatasetLoaderPicks() throws IOException {
        Path p = numbered("many.jsonl", 100, 2);
        for (String spec : List.of(p + "#10", p + "#250")) {
            List<Integer> lines = new ArrayList<>();
            for (LocatedSample s : new DatasetLoader(false, 42).load(specs(spec))) lines.add((int) s.line() - 1);
            EncodedDataset d = EncodedDataset.load(specs(spec), List.of(), new PretrainEncoder(null), simple()).train();
            assertEquals(lines, firstIds(d), spec);
        }
    }

    @Test
    void splitDatasetRatioSetsAsideASeededValidationShare() throws IOException {
        Path p = numbered("many.jsonl", 100, 2);
        EncodedDataset.Splits s = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(64, Truncation.Strategy.DELETE, false, false, 0.1));
        assertEquals(90, s.train().size());
        assertEquals(10, s.validation().size());
        Set<Integer> all = new HashSet<>(firstIds(s.train()));
        all.addAll(firstIds(s.validation()));
        assertEquals(100, all.size());
        assertEquals(firstIds(s.validation()), firstIds(s.validation()).stream().sorted().toList()); // file order
        EncodedDataset.Splits again = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(64, Truncation.Strategy.DELETE, false, false, 0.1));
        assertEquals(firstIds(s.validation()), firstIds(again.validation()));
        EncodedDataset.Splits other = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null),
                new EncodedDataset.Options(64, Truncation.Strategy.DELETE, false, false, 7, 0.1, 0));
        assertNotEquals(firstIds(s.validation()), firstIds(other.validation()));

        // FILE#N: max(floor(50 * 0.1), 1) = 5 validation rows, 45 training rows
        EncodedDataset.Splits sampled = EncodedDataset.load(specs(p + "#50"), List.of(), new PretrainEncoder(null), options(64, Truncation.Strategy.DELETE, false, false, 0.1));
        assertEquals(45, sampled.train().size());
        assertEquals(5, sampled.validation().size());

        Path val = numbered("val.jsonl", 3, 2);
        EncodedDataset.Splits separate = EncodedDataset.load(specs(p), specs(val), new PretrainEncoder(null), simple());
        assertEquals(100, separate.train().size());
        assertEquals(List.of(0, 1, 2), firstIds(separate.validation()));
        assertNull(EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), simple()).validation());
        assertThrows(IllegalArgumentException.class, () -> EncodedDataset.load(specs(p), specs(val), new PretrainEncoder(null),
                options(64, Truncation.Strategy.DELETE, false, false, 0.1)));
    }

    @Test
    void packingFillsRowsUpToMaxLengthWithEverySampleOnce() throws IOException {
        StringBuilder sb = new StringBuilder();
        int[] lengths = {5, 9, 3, 12, 7, 2, 8, 4, 6, 10};
        for (int i = 0; i < lengths.length; i++) sb.append(tokenized(100 * i, lengths[i])).append('\n');
        Path p = write("pack.jsonl", sb.toString());
        EncodedDataset d = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), options(16, Truncation.Strategy.DELETE, true, false, 0)).train();
        assertTrue(d.packed());
        assertEquals(10, d.sampleCount());
        assertEquals(5, d.size()); // 66 tokens need at least 5 rows of 16
        Set<Integer> seen = new HashSet<>();
        long tokens = 0;
        for (int r = 0; r < d.size(); r++) {
            Encoded row = d.get(r);
            assertTrue(row.isPacked());
            assertTrue(row.length() <= 16);
            assertEquals(d.length(r), row.length());
            tokens += row.length();
            for (int j = 0; j < row.length(); j++) if (row.positionIds()[j] == 0) assertTrue(seen.add(row.inputIds()[j] / 100));
        }
        assertEquals(10, seen.size());
        assertEquals(66, tokens);
        assertEquals(66, d.counts().tokens());
    }

    @Test
    void conversationsThroughTheChatEncoder() throws IOException {
        Path p = write("chat.jsonl", """
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
                {"instruction": "add", "input": "1+1", "output": "2"}
                {"messages": [{"role": "user", "content": "hi"}]}
                """);
        ChatEncoder enc = new ChatEncoder(ModelFiles.tokenizer("qwen3"), ModelFiles.template("qwen3"), LossScale.DEFAULT);
        DatasetException e = assertThrows(DatasetException.class, () -> EncodedDataset.load(specs(p), List.of(), enc, simple()));
        assertTrue(e.getMessage().startsWith(p + ":3: the last message is from 'user'"), e.getMessage());
        EncodedDataset d = EncodedDataset.load(specs(p), List.of(), enc, options(64, Truncation.Strategy.DELETE, false, true, 0)).train();
        assertEquals(2, d.size());
        Encoded direct = enc.encode(new LocatedSample(p, 2, new Sample.Chat(List.of(new Message("user", "add\n1+1"), new Message("assistant", "2")))));
        assertArrayEquals(direct.inputIds(), d.get(1).inputIds());
        assertArrayEquals(direct.labels(), d.get(1).labels());
    }

    @Test
    void aFileChangedAfterIndexingIsAnError() throws IOException {
        Path p = numbered("change.jsonl", 3, 4);
        EncodedDataset d = EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null), simple()).train();
        Files.writeString(p, tokenized(0, 4) + "\n" + tokenized(1, 2) + "  \n" + tokenized(2, 4) + "\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.get(1));
        assertTrue(e.getMessage().startsWith(p + ":2: encodes to 2 tokens now but to 4 when the dataset was indexed"), e.getMessage());
    }

    /**
     * An 80 MB file: what the dataset keeps stays a small fraction of it (20 bytes a row, no ids). Measured as
     * the heap freed when the dataset is dropped, which other allocations of the JVM do not disturb.
     */
    @Test
    void memoryStaysBoundedForALargeFile() throws IOException {
        Path p = dir.resolve("large.jsonl");
        int rows = 50_000, length = 200;
        try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows; i++) w.write(tokenized(i % 1000 * 1000, length) + "\n");
        }
        long fileBytes = Files.size(p);
        assertTrue(fileBytes > 64L << 20, "file of " + fileBytes + " bytes");
        EncodedDataset[] held = {EncodedDataset.load(specs(p), List.of(), new PretrainEncoder(null),
                options(256, Truncation.Strategy.DELETE, false, false, 0)).train()};
        assertEquals(rows, held[0].size());
        assertEquals((long) rows * length, held[0].counts().tokens());
        assertArrayEquals(new int[]{7000, 7001}, java.util.Arrays.copyOf(held[0].get(rows - 993).inputIds(), 2));
        long with = settledHeap();
        Reference.reachabilityFence(held[0]);
        held[0] = null;
        long retained = with - settledHeap();
        // holding the ids and labels would take 8 bytes a token (80 MB); the index takes 20 bytes a row (1 MB)
        assertTrue(retained < fileBytes / 20, "retained " + retained + " bytes for a file of " + fileBytes);
    }

    /**
     * Used heap once collections stop freeing more: objects of earlier tests in the same fork that become
     * unreachable through cleaners or weak references are freed a collection or two late, and one such release
     * (8.6 MB) once landed between the two readings of this test.
     */
    private static long settledHeap() {
        long previous = usedHeapAfterGc();
        for (int i = 0; i < 10; i++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = usedHeapAfterGc();
            if (Math.abs(now - previous) < 512 * 1024) return now;
            previous = now;
        }
        return previous;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
