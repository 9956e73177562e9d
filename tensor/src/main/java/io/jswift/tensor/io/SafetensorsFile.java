package io.jswift.tensor.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file (format: 8-byte little-endian header length N, N bytes of JSON header,
 * then the data section). Tensors are lazy views of the mapping, never copied. The header is validated
 * like the reference Rust crate does: size limits, JSON shape, known dtypes, byte lengths matching shapes,
 * offsets inside the file, no overlaps and no holes. The mapping is released by the garbage collector once
 * neither this object nor any tensor viewing it is reachable.
 */
public final class SafetensorsFile {
    /** The reference implementation's header limit (100 MB): larger headers are rejected before reading. */
    static final long MAX_HEADER = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final MemorySegment data; // the data section
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, MemorySegment data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) throws IOException {
        MemorySegment file;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsException(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path, "no such file");
        }
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 0 || headerLen > MAX_HEADER) {
            throw new SafetensorsException(path, "header length " + Long.toUnsignedString(headerLen) + " is invalid (limit " + MAX_HEADER + " bytes)");
        }
        if (8 + headerLen > file.byteSize()) {
            throw new SafetensorsException(path, "header length " + headerLen + " runs past the end of the file (" + file.byteSize() + " bytes): truncated or not a safetensors file");
        }
        String header;
        try {
            header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(file.asSlice(8, headerLen).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new SafetensorsException(path, "header must be a JSON object");
        MemorySegment dataSection = file.asSlice(8 + headerLen);
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(path, e.getValue(), metadata);
            } else {
                infos.add(readEntry(path, e.getKey(), e.getValue()));
            }
        }
        checkLayout(path, infos, dataSection.byteSize());
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) byName.put(t.name(), t);
        return new SafetensorsFile(path, dataSection, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> out) throws SafetensorsException {
        if (!node.isObject()) throw new SafetensorsException(path, "__metadata__ must be an object of strings");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) throw new SafetensorsException(path, "__metadata__ value of '" + m.getKey() + "' is not a string");
            out.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode e) throws SafetensorsException {
        if (!e.isObject()) throw new SafetensorsException(path, "entry '" + name + "' is not an object");
        JsonNode dt = e.get("dtype"), shape = e.get("shape"), offsets = e.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new SafetensorsException(path, "tensor '" + name + "' has no string 'dtype'");
        if (shape == null || !shape.isArray()) throw new SafetensorsException(path, "tensor '" + name + "' has no 'shape' list");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw new SafetensorsException(path, "tensor '" + name + "' needs 'data_offsets' [begin, end]");
        }
        DType dtype = DType.fromSafetensorsName(dt.asText());
        if (dtype == null) {
            throw new SafetensorsException(path, "tensor '" + name + "' has unsupported dtype '" + dt.asText() + "' (supported: "
                    + String.join(", ", Arrays.stream(DType.values()).map(DType::safetensorsName).toList()) + ")");
        }
        int[] dims = new int[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new SafetensorsException(path, "tensor '" + name + "' has an invalid dimension " + d + " in shape " + shape);
            }
            dims[i] = d.asInt();
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(path, "tensor '" + name + "' has invalid data_offsets [" + begin + ", " + end + "]");
        }
        long expected;
        try {
            expected = dtype.byteSize(Shapes.numel(dims));
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(path, "tensor '" + name + "' shape " + shape + " is too large");
        }
        if (end - begin != expected) {
            throw new SafetensorsException(path, "tensor '" + name + "' " + dtype + Arrays.toString(dims) + " needs " + expected
                    + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, dims, begin, end);
    }

    /** Offsets within the data section, no overlaps, no holes, data section fully used (as the Rust crate). */
    private static void checkLayout(Path path, List<TensorInfo> infos, long dataBytes) throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort((a, b) -> a.begin() != b.begin() ? Long.compare(a.begin(), b.begin()) : Long.compare(a.end(), b.end()));
        long cursor = 0;
        for (TensorInfo t : sorted) {
            if (t.end() > dataBytes) {
                throw new SafetensorsException(path, "tensor '" + t.name() + "' data_offsets [" + t.begin() + ", " + t.end()
                        + "] run past the end of the data section (" + dataBytes + " bytes): file truncated?");
            }
            if (t.begin() < cursor) throw new SafetensorsException(path, "tensor '" + t.name() + "' overlaps the previous tensor's bytes");
            if (t.begin() > cursor) throw new SafetensorsException(path, "bytes [" + cursor + ", " + t.begin() + ") of the data section belong to no tensor");
            cursor = t.end();
        }
        if (cursor != dataBytes) throw new SafetensorsException(path, "data section has " + (dataBytes - cursor) + " trailing bytes that belong to no tensor");
    }

    public Path path() { return path; }

    /** Tensor names in header order. */
    public List<String> names() { return List.copyOf(tensors.keySet()); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
        return t;
    }

    /** A zero-copy view of the named tensor (read-only mapping: writing to it throws). */
    public Tensor tensor(String name) {
        TensorInfo t = info(name);
        return Tensor.contiguousOver(HostStorage.wrap(data.asSlice(t.begin(), t.end() - t.begin()), this), t.dtype(), t.shape());
    }

    /** Every tensor by name, in header order. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String n : tensors.keySet()) out.put(n, tensor(n));
        return out;
    }

    public Map<String, String> metadata() { return metadata; }
}
