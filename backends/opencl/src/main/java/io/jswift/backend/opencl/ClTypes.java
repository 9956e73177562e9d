package io.jswift.backend.opencl;

import io.jswift.tensor.DType;

/**
 * How each dtype is stored and converted in OpenCL C. A kernel source refers to an operand {@code X} through
 * macros that {@link #define} emits: {@code X_T} (the buffer element type), {@code X_LOAD(p, i)} (element i as
 * its compute type: float for f32/f16/bf16, double for f64, the integer itself otherwise) and
 * {@code X_STORE(p, i, v)} (converts v and stores it; bf16 rounds to nearest even like PyTorch, f16 with
 * vstore_half_rte, BOOL stores v != 0).
 */
final class ClTypes {
    private ClTypes() {}

    /** The buffer element type of {@code t} in OpenCL C. */
    static String storageType(DType t) {
        return switch (t) {
            case F64 -> "double";
            case F32 -> "float";
            case F16 -> "half";
            case BF16 -> "ushort";
            case I64 -> "long";
            case I32 -> "int";
            case U8, BOOL -> "uchar";
        };
    }

    /** The type a loaded element has (what arithmetic sees). */
    static String computeType(DType t) {
        return switch (t) {
            case F64 -> "double";
            case F32, F16, BF16 -> "float";
            case I64 -> "long";
            case I32 -> "int";
            case U8, BOOL -> "uchar";
        };
    }

    /** The #define lines of operand {@code name} with dtype {@code t}. */
    static String define(String name, DType t) {
        String load = switch (t) {
            case F16 -> "vload_half((i), (p))";
            case BF16 -> "bf16_to_float((p)[i])";
            default -> "((p)[i])";
        };
        String store = switch (t) {
            case F16 -> "vstore_half_rte((float) (v), (i), (p))";
            case BF16 -> "((p)[i] = float_to_bf16((float) (v)))";
            case BOOL -> "((p)[i] = (uchar) ((v) != 0))";
            default -> "((p)[i] = (" + storageType(t) + ") (v))";
        };
        return "#define " + name + "_T " + storageType(t) + "\n"
                + "#define " + name + "_C " + computeType(t) + "\n"
                + "#define " + name + "_LOAD(p, i) " + load + "\n"
                + "#define " + name + "_STORE(p, i, v) " + store + "\n";
    }
}
