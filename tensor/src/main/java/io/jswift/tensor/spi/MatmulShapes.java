package io.jswift.tensor.spi;

import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/** Shape rules of {@link Backend#matmul} (torch.matmul with transpose flags), shared by every backend. */
public final class MatmulShapes {
    private MatmulShapes() {}

    /** Shape of op(a)·op(b) with broadcast batch dims; throws naming both shapes when they don't fit. */
    public static int[] productShape(Tensor a, Tensor b, boolean transA, boolean transB) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul needs operands of rank >= 2, got " + Arrays.toString(a.shape())
                    + " and " + Arrays.toString(b.shape()) + " (unsqueeze a vector to [1, K] or [K, 1] first)");
        }
        int m = transA ? a.size(-1) : a.size(-2), k = transA ? a.size(-2) : a.size(-1);
        int kb = transB ? b.size(-1) : b.size(-2), n = transB ? b.size(-2) : b.size(-1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Arrays.toString(a.shape()) + (transA ? "ᵀ" : "")
                    + " · " + Arrays.toString(b.shape()) + (transB ? "ᵀ" : "") + " (" + k + " vs " + kb + ")");
        }
        int[] batch;
        try {
            batch = Shapes.broadcast(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(b.shape(), b.rank() - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("matmul: batch dims of " + Arrays.toString(a.shape()) + " and "
                    + Arrays.toString(b.shape()) + " do not broadcast", e);
        }
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        return shape;
    }

    /** Strides of t's batch dims broadcast to {@code batch} (0 where broadcast). */
    public static long[] batchStrides(Tensor t, int[] batch) {
        int tb = t.rank() - 2;
        long[] out = new long[batch.length];
        for (int i = 0; i < batch.length; i++) {
            int j = i - (batch.length - tb);
            if (j < 0) continue;
            out[i] = t.size(j) == 1 && batch[i] != 1 ? 0 : t.stride(j);
        }
        return out;
    }
}
