package io.jswift.backend.conformance;

import io.jswift.tensor.DType;

/**
 * How far a result of the backend under test may be from the CPU oracle: |actual - expected| <= atol + rtol·|expected|.
 * One definition per kind of op: {@link #rounding} for results rounded once from the same f32 (or f64) value,
 * {@link #accumulated} for sums whose order differs (reductions, GEMM, fused ops), {@link #EXACT} for integers, copies
 * and selections. 16-bit results are one rounding step apart at most (bf16: 2^-8, f16: 2^-11 relative).
 */
public record Tolerance(double atol, double rtol) {
    public static final Tolerance EXACT = new Tolerance(0, 0);

    public static Tolerance of(double both) { return new Tolerance(both, both); }

    /** Elementwise results: one rounding of the same value, or a libm call that may differ in the last f32 bits. */
    public static Tolerance rounding(DType t) {
        return switch (t) {
            case F64 -> of(1e-12);
            case F32 -> new Tolerance(1e-6, 4e-6);
            case F16 -> of(2e-3);
            case BF16 -> of(1e-2);
            default -> EXACT;
        };
    }

    /** Sums taken in another order (work groups, tiles, the reference composition's separate passes). */
    public static Tolerance accumulated(DType t) {
        return switch (t) {
            case F64 -> of(1e-10);
            case F32 -> of(1e-5);
            case F16 -> of(2e-3);
            case BF16 -> of(1e-2);
            default -> EXACT;
        };
    }

    /** Gradients of 16-bit inputs: a product of two rounded values, each a step apart. */
    public static Tolerance gradient(DType t) {
        return switch (t) {
            case F16 -> of(4e-3);
            case BF16 -> of(2e-2);
            default -> accumulated(t);
        };
    }
}
