package io.jswift.models.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.arch.Architectures;
import io.jswift.models.config.HfJsonWriter;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.nn.Module;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a model as a Hugging Face directory that transformers and jswift load: {@code model.safetensors} with the
 * state-dict names in the family's checkpoint layout (MoE experts one tensor each; a tied lm_head is left out, as
 * save_pretrained does), {@code config.json} from the base model
 * (its dtype set to the saved one), and the base directory's other files — tokenizer, generation config, chat
 * template — copied as they are. Weight files of the base are not copied. A sequence classifier's config says so
 * ({@link ClassifierConfigJson}).
 */
public final class ModelWriter {
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack",
            ".gguf", ".index.json");

    private ModelWriter() {}

    /**
     * {@code outDir} must not exist or be an empty directory. Floating tensors are saved as {@code dtype}
     * ({@link DType#F32}, {@link DType#BF16} or {@link DType#F16}).
     */
    public static void write(Path outDir, Path baseDir, Module model, DType dtype) throws IOException {
        Map<String, Tensor> weights = new LinkedHashMap<>();
        // buffers keep their dtype: transformers keeps GLM-4.5's e_score_correction_bias in f32 (_keep_in_fp32_modules_strict)
        model.namedParameters().forEach((name, p) -> {
            Tensor t = p.value();
            weights.put(name, t.dtype().isFloatingPoint() && t.dtype() != dtype && !p.isBuffer() ? t.to(dtype) : t);
        });
        writeTensors(outDir, baseDir, Architectures.layoutOf(model).toCheckpoint(weights), dtype, null);
        if (model instanceof DecoderClassifier classifier) ClassifierConfigJson.rewrite(outDir.resolve("config.json"), classifier);
    }

    /**
     * Writes {@code weights} as they are (already in their saved dtypes), config.json from the base with its dtype
     * set to {@code dtype} and, when given, {@code quantizationConfig} as its "quantization_config", and the base's
     * other files.
     */
    static void writeTensors(Path outDir, Path baseDir, Map<String, Tensor> weights, DType dtype, ObjectNode quantizationConfig)
            throws IOException {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("models are saved as float32, bfloat16 or float16, not " + dtype);
        }
        requireEmpty(outDir);
        Files.createDirectories(outDir);
        SafetensorsWriter.write(outDir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        writeConfig(baseDir.resolve("config.json"), outDir.resolve("config.json"), dtype, quantizationConfig);
        try (Stream<Path> files = Files.list(baseDir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f) || name.startsWith(".") || name.equals("config.json") || isWeights(name)) continue;
                Files.copy(f, outDir.resolve(name));
            }
        }
    }

    private static boolean isWeights(String name) {
        for (String s : WEIGHT_SUFFIXES) if (name.endsWith(s)) return true;
        return false;
    }

    /** Fails unless {@code dir} is absent or an empty directory (an export never overwrites anything). */
    public static void requireEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        if (!Files.isDirectory(dir)) throw new IOException(dir + " exists and is not a directory: choose another output directory");
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent()) throw new IOException(dir + " exists and is not empty: choose a new output directory (nothing was overwritten)");
        }
    }

    /**
     * config.json as the base has it; when the saved dtype differs, its dtype keys ("dtype", "torch_dtype") say the new
     * one; a quantization config goes in as "quantization_config", the keys kept sorted as save_pretrained sorts them.
     */
    private static void writeConfig(Path from, Path to, DType dtype, ObjectNode quantizationConfig) throws IOException {
        JsonNode root = new ObjectMapper().readTree(from.toFile());
        if (!(root instanceof ObjectNode config)) throw new IOException(from + ": expected a JSON object");
        String name = switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            default -> "float16";
        };
        boolean hasDtype = config.has("dtype"), hasTorchDtype = config.has("torch_dtype");
        String current = hasDtype ? config.path("dtype").asText() : hasTorchDtype ? config.path("torch_dtype").asText() : "float32";
        if (current.equals(name) && quantizationConfig == null) {
            Files.copy(from, to);
            return;
        }
        if (!current.equals(name)) {
            if (hasDtype || !hasTorchDtype) config.put("dtype", name);
            if (hasTorchDtype) config.put("torch_dtype", name);
        }
        if (quantizationConfig == null) {
            HfJsonWriter.write(to, config);
            return;
        }
        config.set("quantization_config", quantizationConfig);
        ObjectNode sorted = config.objectNode();
        List<String> keys = new ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        keys.stream().sorted().forEach(k -> sorted.set(k, config.get(k)));
        HfJsonWriter.write(to, sorted);
    }
}
