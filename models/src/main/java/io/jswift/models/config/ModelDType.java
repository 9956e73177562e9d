package io.jswift.models.config;

import io.jswift.tensor.DType;

/** The checkpoint dtype from `dtype` (transformers 5) or `torch_dtype` (transformers 4); F32 when absent. */
final class ModelDType {
    private ModelDType() {}

    static DType parse(ConfigJson c) {
        String name = c.optString("dtype", c.optString("torch_dtype", "float32"));
        return switch (name) {
            case "float32" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> throw new IllegalArgumentException(c.file() + ": unsupported dtype '" + name + "' (supported: float32, bfloat16, float16)");
        };
    }
}
