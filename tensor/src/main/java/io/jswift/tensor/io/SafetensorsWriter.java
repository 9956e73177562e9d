package io.jswift.tensor.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files: tensors ordered as the reference serializer does (wider dtypes first, then by
 * name), header padded with spaces to a multiple of 8, data streamed from memory (any size, any view
 * layout; device tensors are copied to the host first). Files are written to {@code name.tmp} and moved
 * into place, so an interrupted write never leaves a damaged file under the final name.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        List<Map.Entry<String, Tensor>> ordered = new ArrayList<>(tensors.entrySet());
        ordered.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> -elementSize(e.getValue().dtype())).thenComparing(Map.Entry::getKey));
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : ordered) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
            Tensor t = e.getValue();
            if (t.dtype().isPacked()) throw new IllegalArgumentException("packed dtype " + t.dtype() + " of '" + e.getKey() + "' has no safetensors form");
            long bytes = t.dtype().byteSize(t.numel());
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            ArrayNode off = entry.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.position() < head.capacity()) head.put((byte) ' ');
        head.flip();

        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            while (head.hasRemaining()) ch.write(head);
            for (Map.Entry<String, Tensor> e : ordered) writeData(ch, e.getValue().to(Device.CPU));
            ch.force(true);
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException ex) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static int elementSize(DType t) {
        return t.isPacked() ? 1 : t.byteSize();
    }

    /** Streams a tensor's bytes in row-major order through a 1 MiB buffer (works for heap, native and mapped memory). */
    private static void writeData(FileChannel ch, Tensor t) throws IOException {
        long bytes = t.dtype().byteSize(t.numel());
        if (bytes == 0) return;
        MemorySegment src = t.hostSegment();
        int es = t.dtype().byteSize();
        byte[] buf = new byte[1 << 20];
        MemorySegment chunk = MemorySegment.ofArray(buf);
        if (t.isContiguous()) {
            for (long pos = 0; pos < bytes; ) {
                int len = (int) Math.min(buf.length, bytes - pos);
                MemorySegment.copy(src, t.offset() * es + pos, chunk, 0, len);
                flush(ch, buf, len);
                pos += len;
            }
            return;
        }
        int chunkElems = buf.length / es;
        int[] filled = {0};
        IOException[] failure = {null};
        ElementOrder.forEachOffset(t.shape(), t.strides(), t.offset(), (pos, off) -> {
            if (failure[0] != null) return;
            MemorySegment.copy(src, off * es, chunk, (long) filled[0] * es, es);
            if (++filled[0] == chunkElems) {
                try {
                    flush(ch, buf, filled[0] * es);
                } catch (IOException e) {
                    failure[0] = e;
                }
                filled[0] = 0;
            }
        });
        if (failure[0] != null) throw failure[0];
        flush(ch, buf, filled[0] * es);
    }

    private static void flush(FileChannel ch, byte[] buf, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
        while (b.hasRemaining()) ch.write(b);
    }

    /**
     * Writes {@code model-0000k-of-0000n.safetensors} shards of at most {@code maxShardBytes} each (a single
     * larger tensor gets a shard of its own) plus {@code model.safetensors.index.json}; with one shard,
     * writes plain {@code model.safetensors} instead, as transformers' save_pretrained does.
     */
    public static void writeSharded(Path dir, Map<String, Tensor> tensors, Map<String, String> metadata, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> current = new LinkedHashMap<>();
        long size = 0, total = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = e.getValue().dtype().byteSize(e.getValue().numel());
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                size = 0;
            }
            current.put(e.getKey(), e.getValue());
            size += bytes;
            total += bytes;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);
        if (shards.size() == 1) {
            write(dir.resolve("model.safetensors"), shards.get(0), metadata);
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            write(dir.resolve(name), shards.get(i), metadata);
            for (String t : shards.get(i).keySet()) map.put(t, name);
        }
        Path indexFile = dir.resolve("model.safetensors.index.json");
        Path tmp = dir.resolve("model.safetensors.index.json.tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index), StandardCharsets.UTF_8);
        Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

}
