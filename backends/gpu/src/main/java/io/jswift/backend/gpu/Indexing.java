package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.IndexChecks;

import java.util.Arrays;
import java.util.List;

/**
 * index_select, gather, scatter_add, index_add and concat. Indices are read back to the host, checked there
 * ({@link IndexChecks}) and uploaded as I64, so no kernel depends on the index dtype and none can read out of
 * bounds. The accumulating ops give each thread its own destination elements and add in the CPU backend's
 * order: deterministic, and no float atomics (which OpenCL 1.2 lacks).
 */
public final class Indexing {
    private final GpuDevice dev;

    Indexing(GpuDevice dev) { this.dev = dev; }

    Tensor indexSelect(Tensor x, int dim, Tensor index) {
        dev.storage(x);
        IndexChecks.checkVectorIndex(index, "index_select");
        int d = Shapes.wrapDim(dim, x.rank());
        long[] idx = indices(index, "index_select");
        for (long i : idx) IndexChecks.checkInRange(i, x.size(d), d, "index_select");
        int[] outShape = x.shape();
        outShape[d] = idx.length;
        Tensor out = GpuTensors.empty(dev, x.dtype(), outShape);
        long n = out.numel();
        if (n == 0) return out;
        Launches.elements(dev, moveSource(x.dtype()), "index_select", n, x, x.offset(), Copies.longs(dev, idx), out,
                GpuTensors.meta(outShape, x.strides()), x.rank(), d, n);
        return out;
    }

    Tensor gather(Tensor x, int dim, Tensor index) {
        dev.storage(x);
        int d = Shapes.wrapDim(dim, x.rank());
        IndexChecks.checkIndexType(index, "gather");
        IndexChecks.checkGatherShapes(x, index, d, "gather");
        long[] idx = indices(index, "gather");
        for (long i : idx) IndexChecks.checkInRange(i, x.size(d), d, "gather");
        Tensor out = GpuTensors.empty(dev, x.dtype(), index.shape());
        long n = out.numel();
        if (n == 0) return out;
        Launches.elements(dev, moveSource(x.dtype()), "gather", n, x, x.offset(), Copies.longs(dev, idx), out,
                GpuTensors.meta(index.shape(), x.strides()), x.rank(), d, n);
        return out;
    }

    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        dev.storage(dst);
        dev.storage(src);
        int d = Shapes.wrapDim(dim, dst.rank());
        IndexChecks.checkIndexType(index, "scatter_add");
        IndexChecks.checkGatherShapes(dst, index, d, "scatter_add");
        IndexChecks.checkScatterSource(index, src);
        long[] idx = indices(index, "scatter_add");
        for (long i : idx) IndexChecks.checkInRange(i, dst.size(d), d, "scatter_add");
        if (idx.length == 0) return;
        long columns = idx.length / index.size(d);
        // the CPU backend adds in double for float destinations and in i64 (src truncated) for integer ones
        Launches.elements(dev, addSource(dst, src, dst.dtype()), "scatter_add", columns, dst, dst.offset(), Copies.longs(dev, idx),
                src, src.offset(), GpuTensors.meta(index.shape(), dst.strides(), src.strides()), index.rank(), d, columns);
    }

    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        dev.storage(dst);
        dev.storage(src);
        IndexChecks.checkVectorIndex(index, "index_add");
        int d = Shapes.wrapDim(dim, dst.rank());
        long[] idx = indices(index, "index_add");
        IndexChecks.checkIndexAddSource(dst, src, d, idx.length);
        for (long i : idx) IndexChecks.checkInRange(i, dst.size(d), d, "index_add");
        long columns = dst.numel() / Math.max(1, dst.size(d));
        if (idx.length == 0 || columns == 0) return;
        long[] plan = groupByTarget(idx);
        long groups = (plan.length - 1 - idx.length) / 2;
        // the CPU backend adds dst and src in their promoted type, then converts to dst's dtype
        ProgramSource source = addSource(dst, src, DType.promote(dst.dtype(), src.dtype()));
        Launches.elements(dev, source, "index_add", Math.multiplyExact(groups, columns), dst, dst.offset(), src, src.offset(),
                Copies.longs(dev, plan), groups, GpuTensors.meta(dst.shape(), dst.strides(), src.strides()), dst.rank(), d, columns);
    }

    /**
     * targets[g], starts[g + 1], rows: each distinct target's source rows in ascending order (the CPU
     * backend's order of additions). Sorting (target, row) pairs packed in one long keeps rows in order.
     */
    public static long[] groupByTarget(long[] idx) {
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
        for (Tensor t : tensors) dev.storage(t);
        int d = c.dim();
        Tensor out = GpuTensors.empty(dev, c.dtype(), c.shape());
        int at = 0;
        for (Tensor t : tensors) {
            Copies.copy(dev, t, out.narrow(d, at, t.size(d)));
            at += t.size(d);
        }
        return out;
    }

    /** index.c for elements of {@code t}'s size, moved as unsigned integers of that size. */
    private static ProgramSource moveSource(DType t) {
        String bits = switch (t.byteSize()) {
            case 1 -> "u8";
            case 2 -> "u16";
            case 4 -> "u32";
            default -> "u64";
        };
        return KernelSource.of("index.c").define("E_T", bits).build();
    }

    /** index_add.c for dst and src, adding in the compute type of {@code addType}. */
    private static ProgramSource addSource(Tensor dst, Tensor src, DType addType) {
        return KernelSource.of("index_add.c").type("DST", dst.dtype()).type("SRC", src.dtype())
                .define("ACC", KernelTypes.computeType(addType.isFloatingPoint() ? addType : DType.I64)).build();
    }

    private long[] indices(Tensor index, String what) {
        dev.storage(index);
        IndexChecks.checkIndexType(index, what);
        return index.toLongArray();
    }
}
