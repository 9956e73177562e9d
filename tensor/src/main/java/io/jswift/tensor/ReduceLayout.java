package io.jswift.tensor;

/**
 * A reduction's input dims split into kept and reduced ones, after dropping size-1 dims and merging
 * neighbours of the same kind that are laid out as one dim (stride[i] == stride[i+1] * size[i+1]).
 * A contiguous tensor reduced over all dims becomes one reduced dim of stride 1, and [B, T, C] summed
 * over (B, T) becomes reduced [B·T] then kept [C]: that is what lets the SIMD kernels see the common
 * cases whatever the caller's rank. Row-major order over the kept dims is unchanged by the merging,
 * so output element o is still the o-th kept position. Shared by every backend's reduction kernels.
 *
 * @param lastReduced whether the innermost remaining dim is a reduced one (false when none remain)
 * @param lastStride  the innermost remaining dim's stride (0 when none remain)
 */
public record ReduceLayout(int[] keptShape, long[] keptStrides, int[] redShape, long[] redStrides,
                    boolean lastReduced, long lastStride) {

    public static ReduceLayout of(int[] shape, long[] strides, boolean[] reduced) {
        int n = 0;
        int[] size = new int[shape.length];
        long[] stride = new long[shape.length];
        boolean[] red = new boolean[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue; // contributes nothing, whatever its stride
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
        return new ReduceLayout(keptShape, keptStrides, redShape, redStrides, n > 0 && red[n - 1], n > 0 ? stride[n - 1] : 0);
    }

    /** One reduced run of stride 1 after every kept dim: each output is a contiguous row. */
    public boolean innerContiguous() {
        return lastReduced && lastStride == 1 && redShape.length == 1;
    }

    /** The innermost dim is kept with stride 1: each output row is summed from contiguous input rows. */
    public boolean outerContiguous() {
        return !lastReduced && lastStride == 1 && keptShape.length > 0;
    }

    /** Number of outputs (kept positions). */
    public long outputs() { return Shapes.numel(keptShape); }

    /** Number of elements reduced into each output. */
    public long count() { return Shapes.numel(redShape); }
}
