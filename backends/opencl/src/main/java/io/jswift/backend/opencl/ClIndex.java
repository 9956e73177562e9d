package io.jswift.backend.opencl;

import static io.jswift.tensor.spi.IndexChecks.*;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.IndexChecks;

import java.util.Arrays;
import java.util.List;

/**
 * index_select, gather, scatter_add, index_add and concat. Indices are read back to the host, checked there
 * (the CPU backend's messages) and passed to the kernel as longs, so no kernel depends on the index dtype and
 * none can read out of bounds. The accumulating ops give each work item its own destination elements and add
 * in the CPU backend's order: deterministic, and no float atomics (which OpenCL 1.2 lacks).
 */
final class ClIndex {
    private final ClContext ctx;

    ClIndex(ClContext ctx) { this.ctx = ctx; }

    Tensor indexSelect(Tensor x, int dim, Tensor index) {
        ClTensors.storage(ctx, x);
        IndexChecks.checkVectorIndex(index, "index_select");
        int d = Shapes.wrapDim(dim, x.rank());
        long[] idx = indices(index, "index_select");
        for (long i : idx) checkInRange(i, x.size(d), d, "index_select");
        int[] outShape = x.shape();
        outShape[d] = idx.length;
        Tensor out = ClTensors.allocate(ctx, x.dtype(), outShape);
        long n = out.numel();
        if (n == 0) return out;
        ClGrid.run(ctx, moveSource(x.dtype()), "index_select", n, x, x.offset(), idx, out,
                ClTensors.meta(outShape, x.strides()), x.rank(), d, n);
        return out;
    }

    Tensor gather(Tensor x, int dim, Tensor index) {
        ClTensors.storage(ctx, x);
        int d = Shapes.wrapDim(dim, x.rank());
        checkIndexType(index, "gather");
        checkGatherShapes(x, index, d, "gather");
        long[] idx = indices(index, "gather");
        for (long i : idx) checkInRange(i, x.size(d), d, "gather");
        Tensor out = ClTensors.allocate(ctx, x.dtype(), index.shape());
        long n = out.numel();
        if (n == 0) return out;
        ClGrid.run(ctx, moveSource(x.dtype()), "gather", n, x, x.offset(), idx, out,
                ClTensors.meta(index.shape(), x.strides()), x.rank(), d, n);
        return out;
    }

    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        ClTensors.storage(ctx, dst);
        ClTensors.storage(ctx, src);
        int d = Shapes.wrapDim(dim, dst.rank());
        checkIndexType(index, "scatter_add");
        checkGatherShapes(dst, index, d, "scatter_add");
        IndexChecks.checkScatterSource(index, src);
        long[] idx = indices(index, "scatter_add");
        for (long i : idx) checkInRange(i, dst.size(d), d, "scatter_add");
        if (idx.length == 0) return;
        long columns = idx.length / index.size(d);
        // the CPU backend adds in double for float destinations and in long (src truncated) for integer ones
        String source = addSource(dst, src, dst.dtype());
        ClGrid.run(ctx, source, "scatter_add", columns, dst, dst.offset(), idx, src, src.offset(),
                ClTensors.meta(index.shape(), dst.strides(), src.strides()), index.rank(), d, columns);
    }

    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        ClTensors.storage(ctx, dst);
        ClTensors.storage(ctx, src);
        IndexChecks.checkVectorIndex(index, "index_add");
        int d = Shapes.wrapDim(dim, dst.rank());
        long[] idx = indices(index, "index_add");
        IndexChecks.checkIndexAddSource(dst, src, d, idx.length);
        for (long i : idx) checkInRange(i, dst.size(d), d, "index_add");
        long columns = dst.numel() / Math.max(1, dst.size(d));
        if (idx.length == 0 || columns == 0) return;
        long[] plan = groupByTarget(idx);
        long groups = (plan.length - 1 - idx.length) / 2;
        // the CPU backend adds dst and src in their promoted type, then converts to dst's dtype
        String source = addSource(dst, src, DType.promote(dst.dtype(), src.dtype()));
        ClGrid.run(ctx, source, "index_add", Math.multiplyExact(groups, columns), dst, dst.offset(), src, src.offset(),
                plan, groups, ClTensors.meta(dst.shape(), dst.strides(), src.strides()), dst.rank(), d, columns);
    }

    /**
     * targets[g], starts[g + 1], rows: each distinct target's source rows in ascending order (the CPU
     * backend's order of additions). Sorting (target, row) pairs packed in one long keeps rows in order.
     */
    static long[] groupByTarget(long[] idx) {
        int m = idx.length;
        long[] keys = new long[m];
        for (int r = 0; r < m; r++) keys[r] = idx[r] << 31 | r; // targets and rows are below 2^31 (checked ints)
        Arrays.sort(keys);
        int groups = 0;
        for (int k = 0; k < m; k++) if (k == 0 || keys[k] >>> 31 != keys[k - 1] >>> 31) groups++;
        long[] plan = new long[2 * groups + 1 + m];
        for (int k = 0, g = 0; k < m; k++) {
            if (k == 0 || keys[k] >>> 31 != keys[k - 1] >>> 31) {
                plan[g] = keys[k] >>> 31;
                plan[groups + g++] = k;
            }
            plan[2 * groups + 1 + k] = keys[k] & 0x7FFFFFFFL;
        }
        plan[2 * groups] = m;
        return plan;
    }

    Tensor concat(List<Tensor> tensors, int dim) {
        IndexChecks.Concat c = IndexChecks.concat(tensors, dim);
        for (Tensor t : tensors) ClTensors.storage(ctx, t);
        int d = c.dim();
        Tensor out = ClTensors.allocate(ctx, c.dtype(), c.shape());
        int at = 0;
        for (Tensor t : tensors) {
            ClCopy.copy(ctx, t, out.narrow(d, at, t.size(d)));
            at += t.size(d);
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    /** index.cl for elements of {@code t}'s size, moved as unsigned integers of that size. */
    private static String moveSource(DType t) {
        String bits = switch (t.byteSize()) {
            case 1 -> "uchar";
            case 2 -> "ushort";
            case 4 -> "uint";
            default -> "ulong";
        };
        return ClSource.of("index.cl").define("E_T", bits).text();
    }

    /** index_add.cl for dst and src, adding in the compute type of {@code addType}. */
    private static String addSource(Tensor dst, Tensor src, DType addType) {
        return ClSource.of("index_add.cl").type("DST", dst.dtype()).type("SRC", src.dtype())
                .define("ACC", ClTypes.computeType(addType.isFloatingPoint() ? addType : DType.I64)).text();
    }

    private long[] indices(Tensor index, String what) {
        ClTensors.storage(ctx, index);
        checkIndexType(index, what);
        return index.toLongArray();
    }

}
