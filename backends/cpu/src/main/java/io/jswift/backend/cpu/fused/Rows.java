package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;

/**
 * The generic (any dtype) row path of the fused kernels: rows of a contiguous tensor read into double[] and
 * written back with one rounding to the destination dtype. F64 inputs (gradient checks) and 16-bit inputs
 * take it; F32 takes the SIMD paths.
 */
final class Rows {
    private Rows() {}

    /** buf[i] = t[row·len + i] for a contiguous {@code t}. */
    static double[] read(Tensor t, long row, int len, double[] buf) {
        long base = t.offset() + row * len;
        for (int i = 0; i < len; i++) buf[i] = HostAccess.read(t.hostSegment(), t.dtype(), base + i);
        return buf;
    }

    /** A whole small contiguous tensor (weights, biases) as doubles; null stays null. */
    static double[] all(Tensor t) {
        return t == null ? null : t.toDoubleArray();
    }

    static void write(Tensor t, long row, int len, double[] values) {
        long base = t.offset() + row * len;
        for (int i = 0; i < len; i++) HostAccess.write(t.hostSegment(), t.dtype(), base + i, values[i]);
    }

    /** {@code v} rounded to {@code dtype} (the HF cast of an intermediate back to the input dtype). */
    static double round(DType dtype, double v) {
        return switch (dtype) {
            case F64 -> v;
            case F32 -> (float) v;
            case BF16 -> io.jswift.tensor.Half.bf16ToFloat(io.jswift.tensor.Half.floatToBf16((float) v));
            case F16 -> io.jswift.tensor.Half.f16ToFloat(io.jswift.tensor.Half.floatToF16((float) v));
            default -> throw new IllegalArgumentException("not a floating dtype: " + dtype);
        };
    }

    static int rows(Tensor x) {
        return (int) (x.numel() / Math.max(1, x.size(-1)));
    }
}
