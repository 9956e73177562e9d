package io.jswift.tensor.quant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bnb-4bit weight as transformers' {@code save_pretrained} writes it (bitsandbytes' {@code QuantState.as_dict(packed=True)}
 * under the weight's name W):
 * <pre>
 *   W                                   U8  [ceil(n/2), 1]  the packed nibbles
 *   W.absmax                            F32 [blocks], or U8 [blocks] when double quantized
 *   W.quant_map                         F32 [16]
 *   W.nested_absmax                     F32 [ceil(blocks/256)]   (double quantization only)
 *   W.nested_quant_map                  F32 [256]                (double quantization only)
 *   W.quant_state.bitsandbytes__nf4|fp4 U8  [bytes]  json.dumps({quant_type, blocksize, dtype, shape
 *                                                    [, nested_blocksize, nested_dtype, nested_offset]}) in UTF-8
 * </pre>
 * Reading checks every piece and names the tensor at fault.
 */
public final class QuantStateTensors {
    public static final String STATE_PREFIX = ".quant_state.bitsandbytes__";
    /** The suffixes after W of the tensors that belong to one quantized weight, besides W itself. */
    public static final List<String> PIECES = List.of(".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map");

    private QuantStateTensors() {}

    /** A weight read from a checkpoint: the packed data tensor (as stored, e.g. memory-mapped) and its state. */
    public record Loaded(Tensor packed, QuantState4bit state) {}

    /** Whether {@code weightKey} is stored as a bnb-4bit weight in {@code tensors} (it has a quant_state blob). */
    public static boolean isQuantized(String weightKey, Map<String, Tensor> tensors) {
        return !stateKeys(weightKey, tensors).isEmpty();
    }

    /** The names of the tensors that make up a quantized {@code weightKey}, present in {@code tensors}. */
    public static List<String> keysOf(String weightKey, Map<String, Tensor> tensors) {
        List<String> out = new ArrayList<>();
        if (tensors.containsKey(weightKey)) out.add(weightKey);
        for (String p : PIECES) if (tensors.containsKey(weightKey + p)) out.add(weightKey + p);
        out.addAll(stateKeys(weightKey, tensors));
        return out;
    }

    private static List<String> stateKeys(String weightKey, Map<String, Tensor> tensors) {
        List<String> out = new ArrayList<>();
        for (String k : tensors.keySet()) if (k.startsWith(weightKey + STATE_PREFIX)) out.add(k);
        return out;
    }

    // ---------------------------------------------------------------- writing

    /** The tensors of {@code q} under {@code weightKey}, in as_dict's order. */
    public static Map<String, Tensor> toTensors(String weightKey, QuantState4bit.Quantized q) {
        QuantState4bit s = q.state();
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(weightKey, bytes(q.packed(), q.packed().length, 1));
        out.put(weightKey + ".absmax", s.nested() == null ? floats(s.plainAbsmax()) : bytes(s.nested().codes(), s.nested().codes().length));
        out.put(weightKey + ".quant_map", floats(s.quantMap()));
        if (s.nested() != null) {
            out.put(weightKey + ".nested_absmax", floats(s.nested().absmax()));
            out.put(weightKey + ".nested_quant_map", floats(s.nested().code()));
        }
        byte[] json = stateJson(s).getBytes(StandardCharsets.UTF_8);
        out.put(weightKey + STATE_PREFIX + s.type().jsonName(), bytes(json, json.length));
        return out;
    }

    /** The JSON blob exactly as Python's json.dumps writes bitsandbytes' non-tensor items. */
    public static String stateJson(QuantState4bit s) {
        StringBuilder b = new StringBuilder("{");
        b.append("\"quant_type\": ").append(PyJson.string(s.type().jsonName()));
        b.append(", \"blocksize\": ").append(s.blocksize());
        b.append(", \"dtype\": ").append(PyJson.string(dtypeName(s.dtype())));
        b.append(", \"shape\": [");
        for (int i = 0; i < s.shape().length; i++) b.append(i == 0 ? "" : ", ").append(s.shape()[i]);
        b.append("]");
        if (s.nested() != null) {
            b.append(", \"nested_blocksize\": ").append(s.nested().blocksize());
            b.append(", \"nested_dtype\": \"float32\"");
            b.append(", \"nested_offset\": ").append(PyJson.floatRepr(s.nested().offset()));
        }
        return b.append("}").toString();
    }

    /** torch's dtype names as QuantState.as_dict writes them ({@code str(dtype).strip("torch.")}). */
    public static String dtypeName(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("no bnb-4bit dtype name for " + t);
        };
    }

    // ---------------------------------------------------------------- reading

    /**
     * The quantized weight {@code weightKey} from {@code tensors}; {@code source} (the file) prefixes every message.
     * Fails with one clear message naming the tensor on a missing piece, a wrong dtype or length, a corrupt JSON
     * blob or an unknown quant type.
     */
    public static Loaded read(String weightKey, Map<String, Tensor> tensors, String source) {
        List<String> stateKeys = stateKeys(weightKey, tensors);
        if (stateKeys.size() != 1) {
            throw error(source, weightKey + STATE_PREFIX + "*", stateKeys.isEmpty() ? "missing: the weight has no quant_state"
                    : "there are " + stateKeys.size() + " quant_state tensors " + stateKeys + ", bitsandbytes expects exactly one");
        }
        String stateKey = stateKeys.get(0);
        String typeName = stateKey.substring((weightKey + STATE_PREFIX).length());
        FourBitType type = FourBitType.fromName(typeName);
        if (type == null) throw error(source, stateKey, "unknown quant type '" + typeName + "' (bitsandbytes 4-bit knows nf4 and fp4)");
        JsonNode json = parse(source, stateKey, tensors.get(stateKey));
        String jsonType = text(source, stateKey, json, "quant_type");
        if (!jsonType.equals(typeName)) {
            throw error(source, stateKey, "quant_type '" + jsonType + "' does not match the tensor name's '" + typeName + "'");
        }
        int blocksize = positiveInt(source, stateKey, json, "blocksize");
        DType dtype = dtype(source, stateKey, text(source, stateKey, json, "dtype"));
        int[] shape = shape(source, stateKey, json);
        long n = 1;
        for (int d : shape) n *= d;
        int blocks = Blockwise4bit.blocks(n, blocksize);

        Tensor packed = require(source, tensors, weightKey, DType.U8);
        if (packed.numel() != Blockwise4bit.packedBytes(n)) {
            throw error(source, weightKey, "holds " + packed.numel() + " bytes, but shape " + Arrays.toString(shape) + " packs into "
                    + Blockwise4bit.packedBytes(n));
        }
        float[] quantMap = floats(source, tensors, weightKey + ".quant_map", 16);
        boolean nested = json.has("nested_offset") || json.has("nested_blocksize");
        QuantState4bit state;
        if (nested) {
            int nestedBlocksize = positiveInt(source, stateKey, json, "nested_blocksize");
            JsonNode off = json.get("nested_offset");
            if (off == null || !off.isNumber()) throw error(source, stateKey, "'nested_offset' must be a number");
            Tensor codes = require(source, tensors, weightKey + ".absmax", DType.U8);
            checkLength(source, weightKey + ".absmax", codes, blocks, "one 8-bit code per block of " + blocksize);
            float[] nestedAbsmax = floats(source, tensors, weightKey + ".nested_absmax", Blockwise4bit.blocks(blocks, nestedBlocksize));
            float[] nestedCode = floats(source, tensors, weightKey + ".nested_quant_map", 256);
            state = new QuantState4bit(type, blocksize, dtype, shape, quantMap, null,
                    new QuantState4bit.Nested(toBytes(codes), nestedAbsmax, nestedCode, nestedBlocksize, (float) off.asDouble()));
        } else {
            state = new QuantState4bit(type, blocksize, dtype, shape, quantMap, floats(source, tensors, weightKey + ".absmax", blocks), null);
        }
        return new Loaded(packed, state);
    }

    private static JsonNode parse(String source, String key, Tensor blob) {
        if (blob.dtype() != DType.U8 || blob.rank() != 1) {
            throw error(source, key, "must be a 1-D U8 tensor of UTF-8 JSON, got " + blob.dtype() + Arrays.toString(blob.shape()));
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(toBytes(blob))).toString();
            JsonNode node = new ObjectMapper().readTree(text);
            if (node == null || !node.isObject()) throw error(source, key, "corrupt quant_state JSON: expected an object, got: " + text);
            return node;
        } catch (CharacterCodingException e) {
            throw error(source, key, "corrupt quant_state: not UTF-8");
        } catch (JsonProcessingException e) {
            throw error(source, key, "corrupt quant_state JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(String source, String key, JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.isTextual()) throw error(source, key, "quant_state JSON needs a string '" + field + "'");
        return v.asText();
    }

    private static int positiveInt(String source, String key, JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
            throw error(source, key, "quant_state JSON needs a positive integer '" + field + "', got " + v);
        }
        return v.asInt();
    }

    private static DType dtype(String source, String key, String name) {
        return switch (name) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> throw error(source, key, "quant_state dtype '" + name + "' is not float32, bfloat16 or float16");
        };
    }

    private static int[] shape(String source, String key, JsonNode json) {
        JsonNode v = json.get("shape");
        if (v == null || !v.isArray() || v.isEmpty()) throw error(source, key, "quant_state JSON needs a 'shape' list, got " + v);
        int[] shape = new int[v.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = v.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asInt() <= 0) throw error(source, key, "bad 'shape' " + v);
            shape[i] = d.asInt();
        }
        return shape;
    }

    private static Tensor require(String source, Map<String, Tensor> tensors, String key, DType dtype) {
        Tensor t = tensors.get(key);
        if (t == null) throw error(source, key, "missing (a bnb-4bit weight needs it)");
        if (t.dtype() != dtype) throw error(source, key, "must be " + dtype + ", got " + t.dtype());
        return t;
    }

    private static void checkLength(String source, String key, Tensor t, long expected, String why) {
        if (t.numel() != expected) {
            throw error(source, key, "has " + t.numel() + " values " + Arrays.toString(t.shape()) + ", expected " + expected + " (" + why + ")");
        }
    }

    private static float[] floats(String source, Map<String, Tensor> tensors, String key, int expected) {
        Tensor t = require(source, tensors, key, DType.F32);
        checkLength(source, key, t, expected, key.endsWith(".absmax") ? "one per block" : "bitsandbytes' layout");
        return t.toFloatArray();
    }

    private static IllegalArgumentException error(String source, String key, String what) {
        return new IllegalArgumentException((source == null ? "" : source + ": ") + "bnb-4bit tensor " + key + ": " + what);
    }

    // ---------------------------------------------------------------- U8 tensors

    /** A 1-D F32 host tensor holding a copy of {@code data} (one value stays 1-D). */
    private static Tensor floats(float[] data) {
        return Tensor.of(data.clone(), data.length);
    }

    /** A host U8 tensor holding {@code data}. */
    public static Tensor bytes(byte[] data, int... shape) {
        Tensor t = Tensor.zeros(DType.U8, shape);
        MemorySegment.copy(data, 0, t.hostSegment(), ValueLayout.JAVA_BYTE, 0, data.length);
        return t;
    }

    /** The bytes of a U8 tensor in row-major order. */
    public static byte[] toBytes(Tensor t) {
        if (t.dtype() != DType.U8) throw new IllegalArgumentException("expected a U8 tensor, got " + t.dtype());
        Tensor h = t.to(Device.CPU).contiguous();
        byte[] out = new byte[Math.toIntExact(h.numel())];
        MemorySegment.copy(h.hostSegment(), ValueLayout.JAVA_BYTE, h.offset(), out, 0, out.length);
        return out;
    }
}
