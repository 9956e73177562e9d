package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/** Argument checks of the indexing ops (index_select, gather, scatter_add, index_add), shared by every backend. */
public final class IndexChecks {
    private IndexChecks() {}

    public static void checkIndexType(Tensor index, String what) {
        if (index.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(what + ": index must be an integer tensor, got " + index.dtype());
        }
    }

    /** {@code i} must address one of the {@code size} positions along {@code dim}. */
    public static void checkInRange(long i, int size, int dim, String what) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(what + ": index " + i + " is out of range for dim " + dim + " of size " + size);
        }
    }

    /** Gather/scatter index shapes: same rank, and no larger than the data except along dim. */
    public static void checkGatherShapes(Tensor data, Tensor index, int d, String what) {
        if (index.rank() != data.rank()) {
            throw new IllegalArgumentException(what + ": index rank " + index.rank() + " != tensor rank " + data.rank());
        }
        for (int k = 0; k < index.rank(); k++) {
            if (k != d && index.size(k) > data.size(k)) {
                throw new IllegalArgumentException(what + ": index shape " + Arrays.toString(index.shape())
                        + " exceeds tensor shape " + Arrays.toString(data.shape()) + " at dim " + k);
            }
        }
    }

    /** Whether two shapes of equal rank agree on every dim but {@code dim}. */
    public static boolean sameExcept(int[] a, int[] b, int dim) {
        for (int k = 0; k < a.length; k++) if (k != dim && a[k] != b[k]) return false;
        return true;
    }
}
