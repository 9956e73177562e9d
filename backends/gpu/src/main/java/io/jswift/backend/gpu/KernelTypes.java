package io.jswift.backend.gpu;

import io.jswift.tensor.DType;

/**
 * How each dtype is stored and converted in the kernel dialect. A kernel refers to an operand {@code X} through
 * the macros {@link #define} emits: {@code X_T} (the buffer element type), {@code X_C} (its compute type),
 * {@code X_LOAD(p, i)} (element i as its compute type: float for f32/f16/bf16, double for f64, the integer
 * itself otherwise) and {@code X_STORE(p, i, v)} (converts v and stores it; bf16 and f16 round to nearest even
 * like PyTorch, BOOL stores v != 0).
 */
public final class KernelTypes {
    private KernelTypes() {}

    /** The buffer element type of {@code t}. */
    public static String storageType(DType t) {
        return switch (t) {
            case F64 -> "double";
            case F32 -> "float";
            case F16 -> "f16_t";
            case BF16 -> "u16";
            case I64 -> "i64";
            case I32 -> "i32";
            case U8, BOOL -> "u8";
        };
    }

    /** The type a loaded element has (what arithmetic sees). */
    public static String computeType(DType t) {
        return switch (t) {
            case F64 -> "double";
            case F32, F16, BF16 -> "float";
            case I64 -> "i64";
            case I32 -> "i32";
            case U8, BOOL -> "u8";
        };
    }

    /** The #define lines of operand {@code name} with dtype {@code t}, as (name, value) pairs. */
    static String[][] defines(String name, DType t) {
        String load = switch (t) {
            case F16 -> "LOAD_F16(p, i)";
            case BF16 -> "bf16_to_float((p)[i])";
            default -> "((p)[i])";
        };
        String store = switch (t) {
            case F16 -> "STORE_F16(p, i, (float) (v))";
            case BF16 -> "((p)[i] = float_to_bf16((float) (v)))";
            case BOOL -> "((p)[i] = (u8) ((v) != 0))";
            default -> "((p)[i] = (" + storageType(t) + ") (v))";
        };
        return new String[][]{
                {name + "_T", storageType(t)},
                {name + "_C", computeType(t)},
                {name + "_LOAD(p, i)", load},
                {name + "_STORE(p, i, v)", store}};
    }
}
