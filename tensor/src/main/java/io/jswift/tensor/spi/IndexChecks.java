package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/** Argument checks and result shapes of the indexing ops (index_select, gather, scatter_add, index_add, concat), shared by every backend. */
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
    /** index_select and index_add take a 1-D index. */
    public static void checkVectorIndex(Tensor index, String what) {
        if (index.rank() != 1) throw new IllegalArgumentException(what + ": index must be 1-D, got shape " + Arrays.toString(index.shape()));
    }

    /** scatter_add's src: the index's rank and at least its size along every dim. */
    public static void checkScatterSource(Tensor index, Tensor src) {
        if (src.rank() != index.rank()) throw new IllegalArgumentException("scatter_add: src rank " + src.rank() + " != index rank " + index.rank());
        for (int k = 0; k < index.rank(); k++) {
            if (index.size(k) > src.size(k)) {
                throw new IllegalArgumentException("scatter_add: index shape " + Arrays.toString(index.shape()) + " exceeds src shape " + Arrays.toString(src.shape()));
            }
        }
    }

    /** index_add's src: dst's shape but {@code n} (the index length) along dim d. */
    public static void checkIndexAddSource(Tensor dst, Tensor src, int d, int n) {
        if (src.rank() != dst.rank() || src.size(d) != n || !sameExcept(src.shape(), dst.shape(), d)) {
            throw new IllegalArgumentException("index_add: src shape " + Arrays.toString(src.shape()) + " does not match dst shape "
                    + Arrays.toString(dst.shape()) + " with " + n + " indices along dim " + d);
        }
    }

    /**
     * The result of concat along {@code dim}: equal ranks, equal sizes but along dim.
     *
     * @param dim   the wrapped dim
     * @param shape the result's shape
     * @param dtype DType.promote over the inputs
     */
    public record Concat(int dim, int[] shape, DType dtype) {}

    public static Concat concat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("concat of no tensors");
        Tensor first = tensors.get(0);
        int d = Shapes.wrapDim(dim, first.rank());
        int total = 0;
        DType type = first.dtype();
        for (Tensor t : tensors) {
            if (t.rank() != first.rank()) throw new IllegalArgumentException("concat: ranks differ: " + Arrays.toString(first.shape()) + " vs " + Arrays.toString(t.shape()));
            for (int k = 0; k < t.rank(); k++) {
                if (k != d && t.size(k) != first.size(k)) {
                    throw new IllegalArgumentException("concat along dim " + d + ": shapes " + Arrays.toString(first.shape())
                            + " and " + Arrays.toString(t.shape()) + " differ at dim " + k);
                }
            }
            total = Math.addExact(total, t.size(d));
            type = DType.promote(type, t.dtype());
        }
        int[] shape = first.shape();
        shape[d] = total;
        return new Concat(d, shape, type);
    }
}
