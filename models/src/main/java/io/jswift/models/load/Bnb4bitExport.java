package io.jswift.models.load;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.arch.Architectures;
import io.jswift.nn.Module;
import io.jswift.nn.quant.Linear4bit;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.QuantStateTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model with 4-bit layers as transformers' {@code save_pretrained} writes a bnb-4bit model: each quantized
 * weight as its packed bytes and quantization state (tensors as they are), every other tensor in {@code dtype}, and
 * config.json with {@code quantization_config} as {@code BitsAndBytesConfig.to_dict()} spells it.
 */
public final class Bnb4bitExport {
    private Bnb4bitExport() {}

    public static void write(Path outDir, Path baseDir, Module model, QuantConfig4bit config, DType dtype) throws IOException {
        Set<String> quantized = new HashSet<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof Linear4bit l) l.baseParameters().keySet().forEach(n -> { if (!n.equals("bias")) quantized.add(path + "." + n); });
        });
        if (quantized.isEmpty()) throw new IllegalArgumentException("the model has no 4-bit layers to export");
        Map<String, Tensor> weights = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> weights.put(name,
                quantized.contains(name) || !t.dtype().isFloatingPoint() || t.dtype() == dtype ? t : t.to(dtype)));
        ModelWriter.writeTensors(outDir, baseDir, Architectures.layoutOf(model).toCheckpoint(weights), dtype, quantizationConfig(config));
    }

    /** transformers' BitsAndBytesConfig(load_in_4bit=True, ...).to_dict(), keys sorted as in config.json. */
    public static ObjectNode quantizationConfig(QuantConfig4bit config) {
        ObjectNode q = JsonNodeFactory.instance.objectNode();
        q.put("_load_in_4bit", true);
        q.put("_load_in_8bit", false);
        q.put("bnb_4bit_compute_dtype", QuantStateTensors.dtypeName(config.computeDtype()));
        q.put("bnb_4bit_quant_storage", "uint8");
        q.put("bnb_4bit_quant_type", config.type().jsonName());
        q.put("bnb_4bit_use_double_quant", config.doubleQuant());
        q.put("llm_int8_enable_fp32_cpu_offload", false);
        q.put("llm_int8_has_fp16_weight", false);
        q.putNull("llm_int8_skip_modules");
        q.put("llm_int8_threshold", 6.0);
        q.put("load_in_4bit", true);
        q.put("load_in_8bit", false);
        q.put("quant_method", "bitsandbytes");
        return q;
    }
}
