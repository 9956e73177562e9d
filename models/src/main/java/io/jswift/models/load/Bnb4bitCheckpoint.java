package io.jswift.models.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.nn.quant.Linear4bit;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.QuantStateTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model directory in bitsandbytes 4-bit format (config.json {@code quantization_config} with
 * {@code quant_method: bitsandbytes}, {@code load_in_4bit: true}), loaded as transformers loads it: every Linear whose
 * weight the checkpoint stores packed (with a quant_state) becomes a {@link Linear4bit}; the rest (embeddings, norms,
 * biases, lm_head, tied weights) keep their stored dtype.
 */
final class Bnb4bitCheckpoint {
    private Bnb4bitCheckpoint() {}

    /**
     * The compute dtype of a bnb-4bit checkpoint ({@code bnb_4bit_compute_dtype}, float32 when unset as in
     * transformers), or null when config.json asks for no quantization. Other quantization methods fail clearly.
     */
    static DType computeDtype(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        JsonNode q = new ObjectMapper().readTree(file.toFile()).get("quantization_config");
        if (q == null || q.isNull()) return null;
        String method = q.path("quant_method").asText("");
        if (!method.equals("bitsandbytes")) {
            throw new IOException(file + ": quantization_config.quant_method '" + method + "' is not supported (jswift loads bitsandbytes 4-bit)");
        }
        if (q.path("load_in_8bit").asBoolean(false)) {
            throw new IOException(file + ": bitsandbytes 8-bit checkpoints (load_in_8bit) are not supported; 4-bit (load_in_4bit) are");
        }
        if (!q.path("load_in_4bit").asBoolean(false)) {
            throw new IOException(file + ": quantization_config has neither load_in_4bit nor load_in_8bit set");
        }
        String name = q.path("bnb_4bit_compute_dtype").asText("float32");
        return switch (name) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> throw new IOException(file + ": quantization_config.bnb_4bit_compute_dtype '" + name + "' is not float32, bfloat16 or float16");
        };
    }

    /**
     * Replaces in {@code model} (weights still unloaded) each Linear whose weight {@code weights} holds in bnb-4bit form
     * by a Linear4bit over those tensors; returns the replaced paths. Errors name the file and the tensor.
     */
    static List<String> replaceQuantizedLinears(Module model, Map<String, Tensor> weights, DType computeDtype, String source) {
        List<String> replaced = new ArrayList<>();
        Map<String, Module> modules = model.namedModules();
        for (var e : modules.entrySet()) {
            String path = e.getKey();
            if (path.isEmpty() || !(e.getValue() instanceof Linear linear)) continue;
            String weightKey = path + ".weight";
            if (!QuantStateTensors.isQuantized(weightKey, weights)) continue;
            QuantStateTensors.Loaded loaded = QuantStateTensors.read(weightKey, weights, source);
            int[] shape = loaded.state().shape();
            if (shape.length != 2 || shape[0] != linear.outFeatures() || shape[1] != linear.inFeatures()) {
                throw new IllegalArgumentException(source + ": bnb-4bit tensor " + weightKey + " has shape " + Arrays.toString(shape)
                        + " in its quant_state, the model expects [" + linear.outFeatures() + ", " + linear.inFeatures() + "]");
            }
            Map<String, Tensor> pieces = new LinkedHashMap<>();
            for (String key : QuantStateTensors.keysOf(weightKey, weights)) pieces.put(key.substring(path.length() + 1), weights.get(key));
            Tensor bias = linear.bias() == null ? null : linear.bias().value();
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            parent.replaceModule(path.substring(dot + 1), new Linear4bit(pieces, loaded.state(), bias, computeDtype));
            replaced.add(path);
        }
        return replaced;
    }

    /**
     * Quantizes every Linear of a loaded {@code model} to 4 bits in place, except those transformers keeps in full
     * precision ({@code get_keys_to_not_convert}: lm_head, the module of the last parameter, tied weights, which
     * jswift's tied heads are not modules for); returns the quantized paths. Each weight is read, quantized and
     * released in turn, so the model is never held in float32.
     */
    static List<String> quantizeLinears(Module model, QuantConfig4bit config) {
        Set<String> keep = modulesToNotConvert(model);
        List<String> done = new ArrayList<>();
        Map<String, Module> modules = model.namedModules();
        for (var e : modules.entrySet()) {
            String path = e.getKey();
            if (path.isEmpty() || keep.contains(path) || !(e.getValue() instanceof Linear linear)) continue;
            Tensor bias = linear.bias() == null ? null : linear.bias().value();
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            parent.replaceModule(path.substring(dot + 1), Linear4bit.quantize(linear.weight().value(), bias, config));
            done.add(path);
        }
        return done;
    }

    /** transformers' get_keys_to_not_convert for jswift's modules: the output layer and the last parameter's module. */
    static Set<String> modulesToNotConvert(Module model) {
        Set<String> keep = new LinkedHashSet<>();
        keep.add("lm_head");
        String last = null;
        for (String name : model.namedParameters().keySet()) last = name;
        if (last != null && last.contains(".")) keep.add(last.substring(0, last.lastIndexOf('.')));
        return keep;
    }
}
