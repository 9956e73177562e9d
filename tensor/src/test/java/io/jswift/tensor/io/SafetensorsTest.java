package io.jswift.tensor.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Tensor filled(DType t, long seed, int... shape) {
        Tensor x = Tensor.zeros(t, shape);
        Random r = new Random(seed);
        for (long i = 0; i < x.numel(); i++) {
            double v = switch (t) {
                case BOOL -> r.nextBoolean() ? 1 : 0;
                case U8 -> r.nextInt(256);
                case I32 -> r.nextInt();
                case I64 -> r.nextLong() >> 8;
                default -> r.nextGaussian();
            };
            if (t == DType.I64) HostAccess.writeLong(x.hostSegment(), t, i, r.nextLong());
            else HostAccess.write(x.hostSegment(), t, i, v);
        }
        return x;
    }

    @Test
    void roundTripOfEveryDtypeAndMetadata() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        int k = 0;
        for (DType t : DType.values()) in.put("t_" + t, filled(t, k++, 3, 5));
        in.put("scalar", Tensor.scalar(DType.F32, 2.5));
        in.put("empty", Tensor.zeros(DType.F32, 0, 7));
        Path f = dir.resolve("all.safetensors");
        SafetensorsWriter.write(f, in, Map.of("format", "pt"));
        SafetensorsFile read = SafetensorsFile.open(f);
        assertEquals(Map.of("format", "pt"), read.metadata());
        for (var e : in.entrySet()) {
            Tensor back = read.tensor(e.getKey());
            assertEquals(e.getValue().dtype(), back.dtype());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            if (e.getValue().dtype() == DType.I64) assertArrayEquals(e.getValue().toLongArray(), back.toLongArray());
            else assertArrayEquals(e.getValue().toDoubleArray(), back.toDoubleArray(), 0, e.getKey());
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
        assertTrue(Files.notExists(dir.resolve("all.safetensors.tmp")));
    }

    @Test
    void nonContiguousViewsAreWrittenInRowMajorOrder() throws IOException {
        Tensor base = filled(DType.F32, 3, 4, 6);
        Tensor view = base.transpose(0, 1).slice(0, 1, 6, 2); // [3, 4], strided
        Path f = dir.resolve("view.safetensors");
        SafetensorsWriter.write(f, Map.of("v", view), null);
        assertArrayEquals(view.toDoubleArray(), SafetensorsFile.open(f).tensor("v").toDoubleArray(), 0);
    }

    @Test
    void readsAFileWrittenByTheReferenceImplementation() throws Exception {
        Path f = Path.of(getClass().getResource("/safetensors/reference.safetensors").toURI());
        JsonNode expected = new ObjectMapper().readTree(getClass().getResourceAsStream("/safetensors/reference.json"));
        SafetensorsFile file = SafetensorsFile.open(f);
        assertEquals("jswift fixture", file.metadata().get("note"));
        assertEquals(expected.size(), file.names().size());
        for (var it = expected.fields(); it.hasNext(); ) {
            var e = it.next();
            Tensor t = file.tensor(e.getKey());
            int[] shape = new int[e.getValue().get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get("shape").get(i).asInt();
            assertArrayEquals(shape, t.shape(), e.getKey());
            JsonNode values = e.getValue().get("values");
            if (t.dtype() == DType.I64) {
                long[] got = t.toLongArray();
                for (int i = 0; i < got.length; i++) assertEquals(Long.parseLong(values.get(i).asText()), got[i]);
            } else {
                double[] got = t.toDoubleArray();
                for (int i = 0; i < got.length; i++) assertEquals(values.get(i).asDouble(), got[i], 0, e.getKey() + "[" + i + "]");
            }
        }
        assertEquals(DType.BF16, file.info("bf16").dtype());
        assertEquals(DType.BOOL, file.info("bool").dtype());
    }

    // ------------------------------------------------------------------ corrupted files

    private Path raw(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private void rejects(Path p, String fragment) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void corruptedFilesAreRejectedWithTheFileAndTheProblem() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafetensorsWriter.write(good, Map.of("a", filled(DType.F32, 1, 4, 4)), null);
        byte[] bytes = Files.readAllBytes(good);

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[]{1, 2, 3});
        rejects(tiny, "shorter than the 8-byte header length");

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        rejects(truncated, "run past the end of the data section");

        Path huge = dir.resolve("huge.safetensors");
        byte[] h = bytes.clone();
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE - 3);
        Files.write(huge, h);
        rejects(huge, "header length");

        Path pastEnd = dir.resolve("pastend.safetensors");
        byte[] p = bytes.clone();
        ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Files.write(pastEnd, p);
        rejects(pastEnd, "runs past the end of the file");

        rejects(raw("nonjson.safetensors", "{not json", 0), "not valid JSON");
        rejects(raw("array.safetensors", "[1, 2]", 0), "must be a JSON object");
        rejects(raw("dtype.safetensors", "{\"a\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2),
                "unsupported dtype 'F8_E4M3' (supported: F64, F32");
        rejects(raw("length.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4),
                "needs 8 bytes but data_offsets span 4");
        rejects(raw("offsets.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}", 8),
                "run past the end of the data section");
        rejects(raw("overlap.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8), "overlaps");
        rejects(raw("gap.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8),
                "bytes [0, 4) of the data section belong to no tensor");
        rejects(raw("negative.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4),
                "invalid dimension -1");
        rejects(raw("nooffsets.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4), "needs 'data_offsets'");
        rejects(dir.resolve("missing.safetensors"), "no such file");
    }

    // ------------------------------------------------------------------ sharded checkpoints

    @Test
    void shardedCheckpointsRoundTrip() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) in.put("layer." + i + ".weight", filled(DType.BF16, i, 16, 16));
        Path out = dir.resolve("model");
        SafetensorsWriter.writeSharded(out, in, Map.of("format", "pt"), 1200);
        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")));
        assertTrue(Files.exists(out.resolve("model-00003-of-00003.safetensors"))); // 512-byte tensors, two per 1200-byte shard
        Map<String, Tensor> back = CheckpointDir.load(out);
        assertEquals(in.keySet(), back.keySet());
        for (String k : in.keySet()) assertArrayEquals(in.get(k).toDoubleArray(), back.get(k).toDoubleArray(), 0);

        Path single = dir.resolve("single");
        SafetensorsWriter.writeSharded(single, in, null, 1 << 20);
        assertTrue(Files.exists(single.resolve("model.safetensors")));
        assertEquals(5, CheckpointDir.load(single).size());
    }

    @Test
    void shardedCheckpointErrors() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) in.put("w" + i, filled(DType.F32, i, 8, 8));
        Path out = dir.resolve("m");
        SafetensorsWriter.writeSharded(out, in, null, 300);
        Files.delete(out.resolve("model-00002-of-00003.safetensors"));
        SafetensorsException missing = assertThrows(SafetensorsException.class, () -> CheckpointDir.load(out));
        assertTrue(missing.getMessage().contains("shard 'model-00002-of-00003.safetensors' listed for tensor 'w1' does not exist"), missing.getMessage());

        Path dup = dir.resolve("dup");
        SafetensorsWriter.writeSharded(dup, in, null, 300);
        SafetensorsWriter.write(dup.resolve("model-00002-of-00003.safetensors"), Map.of("w1", in.get("w1"), "w0", in.get("w0")), null);
        SafetensorsException twice = assertThrows(SafetensorsException.class, () -> CheckpointDir.load(dup));
        assertTrue(twice.getMessage().contains("tensor 'w0' is also stored in"), twice.getMessage());

        SafetensorsException none = assertThrows(SafetensorsException.class, () -> CheckpointDir.load(dir.resolve("empty")));
        assertTrue(none.getMessage().contains("no model.safetensors"), none.getMessage());
    }

    /** Offsets past 2^31 through a sparse file: the OS keeps the 2 GiB hole unallocated. */
    @Test
    void tensorsBeyondTwoGibibytesAreAddressable() throws IOException {
        long n = (1L << 31) + 16;
        String header = "{\"small\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]},"
                + " \"big\": {\"dtype\": \"U8\", \"shape\": [" + n / 16 + ", 16], \"data_offsets\": [8, " + (8 + n) + "]}}";
        Path p = raw("big.safetensors", header, 8);
        long dataStart = 8 + header.getBytes(StandardCharsets.UTF_8).length;
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(dataStart + 8 + n);
            f.seek(dataStart + 8 + n - 1);
            f.write(42);
        }
        SafetensorsFile file = SafetensorsFile.open(p);
        Tensor big = file.tensor("big");
        assertEquals(n, big.numel());
        Tensor rows = big; // [n / 16, 16]: its last element lies past byte offset 2^31
        assertEquals(42, rows.getLong((int) (n / 16) - 1, 15));
        assertEquals(0, rows.getLong(0, 0));
    }
}
