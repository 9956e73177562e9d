package io.jswift.backend.cpu.kernels;

import static io.jswift.tensor.spi.IndexChecks.*;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.IndexChecks;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** index_select, gather, scatter_add, index_add and concat on host tensors. */
public final class IndexKernels {
    private IndexKernels() {}

    private static long[] indices(Tensor index, String what) {
        checkIndexType(index, what);
        return index.toLongArray();
    }

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        IndexChecks.checkVectorIndex(index, "index_select");
        int d = Shapes.wrapDim(dim, x.rank());
        long[] idx = indices(index, "index_select");
        for (long i : idx) checkInRange(i, x.size(d), d, "index_select");
        int[] outShape = x.shape();
        outShape[d] = idx.length;
        Tensor out = Tensor.zeros(x.dtype(), outShape);
        if (d == 0 && x.isContiguous()) { // embedding lookup: whole-row copies
            long rowBytes = x.dtype().byteSize(x.numel() / Math.max(1, x.size(0)));
            MemorySegment xs = x.hostSegment(), os = out.hostSegment();
            long base = x.dtype().byteSize(x.offset());
            Parallel.range(idx.length, 64, (from, to) -> {
                for (int r = from; r < to; r++) MemorySegment.copy(xs, base + idx[r] * rowBytes, os, r * rowBytes, rowBytes);
            });
            return out;
        }
        for (int i = 0; i < idx.length; i++) CopyKernels.copy(x.select(d, (int) idx[i]), out.select(d, i));
        return out;
    }

    public static Tensor gather(Tensor x, int dim, Tensor index) {
        int d = Shapes.wrapDim(dim, x.rank());
        checkIndexType(index, "gather");
        checkGatherShapes(x, index, d, "gather");
        Tensor out = Tensor.zeros(x.dtype(), index.shape());
        MemorySegment xs = x.hostSegment(), is = index.hostSegment(), os = out.hostSegment();
        int[] ishape = index.shape();
        long[] istr = index.strides(), xstr = x.strides();
        DType xt = x.dtype(), it = index.dtype();
        int size = x.size(d);
        ElementOrder.forEachOffset(ishape, istr, index.offset(), (pos, ioff) -> {
            long target = HostAccess.readLong(is, it, ioff);
            checkInRange(target, size, d, "gather");
            long xo = x.offset();
            long p = pos;
            for (int k = ishape.length - 1; k >= 0; k--) {
                long c = p % ishape[k];
                p /= ishape[k];
                xo += (k == d ? target : c) * xstr[k];
            }
            if (xt.isFloatingPoint()) HostAccess.write(os, xt, pos, HostAccess.read(xs, xt, xo));
            else HostAccess.writeLong(os, xt, pos, HostAccess.readLong(xs, xt, xo));
        });
        return out;
    }

    public static void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        int d = Shapes.wrapDim(dim, dst.rank());
        checkIndexType(index, "scatter_add");
        checkGatherShapes(dst, index, d, "scatter_add");
        IndexChecks.checkScatterSource(index, src);
        MemorySegment ds = dst.hostSegment(), is = index.hostSegment(), ss = src.hostSegment();
        int[] ishape = index.shape();
        long[] istr = index.strides(), dstr = dst.strides(), sstr = src.strides();
        DType dt = dst.dtype(), it = index.dtype(), st = src.dtype();
        int size = dst.size(d);
        ElementOrder.forEachOffset(ishape, istr, index.offset(), (pos, ioff) -> {
            long target = HostAccess.readLong(is, it, ioff);
            checkInRange(target, size, d, "scatter_add");
            long dO = dst.offset(), so = src.offset();
            long p = pos;
            for (int k = ishape.length - 1; k >= 0; k--) {
                long c = p % ishape[k];
                p /= ishape[k];
                dO += (k == d ? target : c) * dstr[k];
                so += c * sstr[k];
            }
            if (dt.isFloatingPoint()) HostAccess.write(ds, dt, dO, HostAccess.read(ds, dt, dO) + HostAccess.read(ss, st, so));
            else HostAccess.writeLong(ds, dt, dO, HostAccess.readLong(ds, dt, dO) + HostAccess.readLong(ss, st, so));
        });
    }

    public static void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        IndexChecks.checkVectorIndex(index, "index_add");
        int d = Shapes.wrapDim(dim, dst.rank());
        long[] idx = indices(index, "index_add");
        IndexChecks.checkIndexAddSource(dst, src, d, idx.length);
        for (long i : idx) checkInRange(i, dst.size(d), d, "index_add");
        if (d == 0 && dst.isContiguous() && src.isContiguous() && dst.dtype() == DType.F32 && src.dtype() == DType.F32) {
            int row = (int) (dst.numel() / Math.max(1, dst.size(0)));
            MemorySegment ds = dst.hostSegment(), ss = src.hostSegment();
            // rows with the same target accumulate sequentially; different targets could race, so one thread
            for (int r = 0; r < idx.length; r++) {
                long dO = dst.offset() + idx[r] * row, so = src.offset() + (long) r * row;
                VectorBinaryRows.row(io.jswift.tensor.spi.BinaryOp.ADD, ds, dO, 1, ss, so, 1, ds, dO, row);
            }
            return;
        }
        for (int i = 0; i < idx.length; i++) {
            Tensor target = dst.select(d, (int) idx[i]);
            CopyKernels.copy(ElementwiseKernels.binary(io.jswift.tensor.spi.BinaryOp.ADD, target, src.select(d, i)).to(dst.dtype()), target);
        }
    }

    public static Tensor concat(List<Tensor> tensors, int dim) {
        IndexChecks.Concat c = IndexChecks.concat(tensors, dim);
        int d = c.dim();
        Tensor out = Tensor.zeros(c.dtype(), c.shape());
        int at = 0;
        for (Tensor t : tensors) {
            CopyKernels.copy(t, out.narrow(d, at, t.size(d)));
            at += t.size(d);
        }
        return out;
    }
}
