package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.ReduceLayout;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/** Result shapes, dtypes and checks of {@link Backend#reduce} and {@link Backend#argmax}, shared by every backend. */
public final class ReduceRules {
    private ReduceRules() {}

    /**
     * A checked reduction.
     *
     * @param reduced  per input dim, whether it is reduced
     * @param outShape the result's shape (reduced dims dropped, or 1 with keepDim)
     * @param outType  SUM of integers is I64, MEAN of integers F32, everything else keeps x's dtype
     * @param layout   the coalesced kept/reduced dims of x ({@link ReduceLayout})
     */
    public record Reduction(boolean[] reduced, int[] outShape, DType outType, ReduceLayout layout) {}

    /** Checks {@code dims} (each once; none = all) and that MAX/MIN have something to reduce. */
    public static Reduction reduction(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        if (dims.length == 0) Arrays.fill(reduced, true);
        for (int d : dims) {
            int w = Shapes.wrapDim(d, rank);
            if (reduced[w]) throw new IllegalArgumentException("dim " + d + " appears more than once in " + Arrays.toString(dims));
            reduced[w] = true;
        }
        int[] shape = x.shape();
        int nReduced = 0;
        for (boolean r : reduced) if (r) nReduced++;
        int[] outShape = new int[keepDim ? rank : rank - nReduced];
        for (int i = 0, o = 0; i < rank; i++) {
            if (!reduced[i]) outShape[o++] = shape[i];
            else if (keepDim) outShape[o++] = 1;
        }
        ReduceLayout layout = ReduceLayout.of(shape, x.strides(), reduced);
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && layout.count() == 0) {
            throw new IllegalArgumentException(op + " over an empty dimension of shape " + Arrays.toString(shape) + " has no identity");
        }
        return new Reduction(reduced, outShape, outType(op, x.dtype()), layout);
    }

    /** SUM of integers is I64, MEAN of integers F32; MAX/MIN and floats keep the dtype. */
    public static DType outType(ReduceOp op, DType x) {
        boolean integral = !x.isFloatingPoint();
        return op == ReduceOp.MEAN && integral ? DType.F32 : (integral && op == ReduceOp.SUM) ? DType.I64 : x;
    }

    /**
     * A checked argmax along one dim (I64 result).
     *
     * @param dim         the wrapped dim
     * @param n           its size (> 0)
     * @param keptShape   x's shape without dim
     * @param keptStrides x's strides without dim
     * @param outShape    keptShape, or x's shape with 1 at dim when keepDim
     */
    public record Argmax(int dim, int n, int[] keptShape, long[] keptStrides, int[] outShape) {}

    public static Argmax argmax(Tensor x, int dim, boolean keepDim) {
        int rank = x.rank();
        int d = Shapes.wrapDim(dim, rank);
        int n = x.size(d);
        if (n == 0) throw new IllegalArgumentException("argmax over an empty dimension of shape " + Arrays.toString(x.shape()));
        int[] kept = new int[rank - 1];
        long[] keptStrides = new long[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i == d) continue;
            kept[j] = x.size(i);
            keptStrides[j++] = x.stride(i);
        }
        int[] outShape = x.shape();
        outShape[d] = 1;
        return new Argmax(d, n, kept, keptStrides, keepDim ? outShape : kept);
    }
}
