package io.jswift.backend.cpu.kernels;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Iteration plan for an elementwise op: the output shape is split into rows (all dims but the last) of
 * {@code inner} elements; every operand is described by its strides broadcast to the output shape
 * (0 on broadcast dims), so a kernel sees each operand row as (offset, inner stride).
 */
final class RowPlan {
    final int[] shape;
    final int inner;       // size of the last dim (1 for scalars)
    final long rows;       // product of the other dims
    final long[][] strides; // per operand, per dim
    final long[] base;     // per operand storage offset

    RowPlan(int[] outShape, Tensor... operands) {
        this.shape = outShape.clone();
        this.inner = outShape.length == 0 ? 1 : outShape[outShape.length - 1];
        long r = 1;
        for (int i = 0; i < outShape.length - 1; i++) r *= outShape[i];
        this.rows = outShape.length == 0 ? 1 : r;
        this.strides = new long[operands.length][];
        this.base = new long[operands.length];
        for (int k = 0; k < operands.length; k++) {
            strides[k] = broadcastStrides(operands[k], outShape);
            base[k] = operands[k].offset();
        }
    }

    /** Strides of {@code t} viewed with {@code shape} (leading and size-1 dims broadcast with stride 0). */
    static long[] broadcastStrides(Tensor t, int[] shape) {
        int[] s = t.shape();
        long[] st = t.strides();
        long[] out = new long[shape.length];
        int lead = shape.length - s.length;
        if (lead < 0) throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(s) + " to " + Arrays.toString(shape));
        for (int i = 0; i < shape.length; i++) {
            if (i < lead) continue;
            int d = s[i - lead];
            if (d == shape[i]) out[i] = st[i - lead];
            else if (d == 1) out[i] = 0;
            else throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(s) + " to " + Arrays.toString(shape));
        }
        return out;
    }

    long innerStride(int operand) {
        return shape.length == 0 ? 0 : strides[operand][shape.length - 1];
    }

    /** Storage offsets of row {@code row} for every operand, written into {@code out}. */
    void rowOffsets(long row, long[] out) {
        for (int k = 0; k < out.length; k++) out[k] = base[k];
        for (int d = shape.length - 2; d >= 0; d--) {
            long i = row % shape[d];
            row /= shape[d];
            for (int k = 0; k < out.length; k++) out[k] += i * strides[k][d];
        }
    }

    long numel() { return rows * inner; }
}
