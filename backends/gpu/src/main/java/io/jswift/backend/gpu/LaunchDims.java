package io.jswift.backend.gpu;

import java.util.Arrays;

/**
 * The dims of a strided launch over several operands, simplified: size-1 dims dropped and neighbours merged
 * where every operand lays them out as one dim (stride[i] == stride[i+1] * size[i+1]). Merging keeps the
 * row-major order of the elements, so element i of the simplified shape is element i of the original; a
 * contiguous operand collapses to one dim and costs the kernel a single division per element.
 *
 * @param shape   the simplified shape (rank 0 for a single element)
 * @param strides one stride array per operand, in the order given to {@link #of}
 */
public record LaunchDims(int[] shape, long[][] strides) {

    public static LaunchDims of(int[] shape, long[]... operandStrides) {
        int ops = operandStrides.length;
        int[] size = new int[shape.length];
        long[][] st = new long[ops][shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue; // contributes nothing, whatever its strides
            if (n > 0 && mergeable(st, n - 1, operandStrides, d, shape[d])) {
                size[n - 1] *= shape[d];
                for (int k = 0; k < ops; k++) st[k][n - 1] = operandStrides[k][d];
                continue;
            }
            size[n] = shape[d];
            for (int k = 0; k < ops; k++) st[k][n] = operandStrides[k][d];
            n++;
        }
        int[] outShape = Arrays.copyOf(size, n);
        long[][] outStrides = new long[ops][];
        for (int k = 0; k < ops; k++) outStrides[k] = Arrays.copyOf(st[k], n);
        return new LaunchDims(outShape, outStrides);
    }

    private static boolean mergeable(long[][] st, int prev, long[][] strides, int d, int size) {
        if (size == 0) return false;
        for (int k = 0; k < st.length; k++) if (st[k][prev] != strides[k][d] * size) return false;
        return true;
    }

    public int rank() { return shape.length; }

    /** shape followed by each operand's strides: a kernel's metadata buffer (see {@link GpuTensors.meta}). */
    public long[] meta() { return GpuTensors.meta(shape, strides); }
}
