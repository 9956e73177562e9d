package io.jswift.backend.opencl;

import java.util.Arrays;

/**
 * A reduction's input dims split into kept dims (one output each position) and reduced dims, after dropping
 * size-1 dims and merging neighbours of the same kind laid out as one dim, as the CPU backend's ReduceLayout
 * does: [B, T, C] contiguous summed over (B, T) becomes reduced [B·T] then kept [C]. Merging keeps row-major
 * order over the kept dims, so output element o is the o-th kept position.
 */
record ClReduceDims(int[] keptShape, long[] keptStrides, int[] redShape, long[] redStrides) {

    static ClReduceDims of(int[] shape, long[] strides, boolean[] reduced) {
        int n = 0;
        int[] size = new int[shape.length];
        long[] stride = new long[shape.length];
        boolean[] red = new boolean[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue;
            if (n > 0 && red[n - 1] == reduced[i] && stride[n - 1] == strides[i] * shape[i] && shape[i] != 0) {
                size[n - 1] *= shape[i];
                stride[n - 1] = strides[i];
                continue;
            }
            size[n] = shape[i];
            stride[n] = strides[i];
            red[n++] = reduced[i];
        }
        int nRed = 0;
        for (int i = 0; i < n; i++) if (red[i]) nRed++;
        int[] keptShape = new int[n - nRed], redShape = new int[nRed];
        long[] keptStrides = new long[n - nRed], redStrides = new long[nRed];
        for (int i = 0, k = 0, r = 0; i < n; i++) {
            if (red[i]) {
                redShape[r] = size[i];
                redStrides[r++] = stride[i];
            } else {
                keptShape[k] = size[i];
                keptStrides[k++] = stride[i];
            }
        }
        return new ClReduceDims(keptShape, keptStrides, redShape, redStrides);
    }

    long outputs() { return io.jswift.tensor.Shapes.numel(keptShape); }

    long count() { return io.jswift.tensor.Shapes.numel(redShape); }

    /** Whether the innermost reduced dim is contiguous (stride 1): a work group then reads each output's run coalesced. */
    boolean innerReducedContiguous() { return redShape.length > 0 && redStrides[redStrides.length - 1] == 1; }

    /** keptShape, keptStrides, redShape, redStrides: the reduce kernels' metadata buffer. */
    long[] meta() {
        long[] m = new long[2 * keptShape.length + 2 * redShape.length];
        int at = 0;
        for (int s : keptShape) m[at++] = s;
        for (long s : keptStrides) m[at++] = s;
        for (int s : redShape) m[at++] = s;
        for (long s : redStrides) m[at++] = s;
        return m;
    }

    @Override
    public String toString() {
        return "kept " + Arrays.toString(keptShape) + " reduced " + Arrays.toString(redShape);
    }
}
