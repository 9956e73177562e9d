package io.jswift.backend.cpu.kernels;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reductions over any set of dims. Sums accumulate in double (integers in long), so results are exact to
 * the output precision. Contiguous F32 reductions over the last dim use SIMD partial sums in double lanes.
 */
public final class ReduceKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ReduceKernels() {}

    public static Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        if (dims.length == 0) Arrays.fill(reduced, true);
        for (int d : dims) {
            int w = Shapes.wrapDim(d, rank);
            if (reduced[w] && dims.length > 0 && countOf(dims, rank, w) > 1) {
                throw new IllegalArgumentException("dim " + d + " appears more than once in " + Arrays.toString(dims));
            }
            reduced[w] = true;
        }
        int[] shape = x.shape();
        long[] strides = x.strides();
        int nKept = 0, nRed = 0;
        for (boolean r : reduced) if (r) nRed++; else nKept++;
        int[] keptShape = new int[nKept], redShape = new int[nRed];
        long[] keptStrides = new long[nKept], redStrides = new long[nRed];
        int[] outShape = new int[keepDim ? rank : nKept];
        for (int i = 0, k = 0, r = 0, o = 0; i < rank; i++) {
            if (reduced[i]) {
                redShape[r] = shape[i];
                redStrides[r++] = strides[i];
                if (keepDim) outShape[o++] = 1;
            } else {
                keptShape[k] = shape[i];
                keptStrides[k++] = strides[i];
                outShape[o++] = shape[i];
            }
        }
        long count = Shapes.numel(redShape);
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && count == 0) {
            throw new IllegalArgumentException(op + " over an empty dimension of shape " + Arrays.toString(shape) + " has no identity");
        }
        DType xt = x.dtype();
        boolean integral = !xt.isFloatingPoint();
        DType outType = op == ReduceOp.MEAN && integral ? DType.F32 : (integral && op == ReduceOp.SUM) ? DType.I64 : xt;
        Tensor out = Tensor.zeros(outType, outShape);
        long outN = Shapes.numel(keptShape);
        if (outN == 0) return out;
        MemorySegment xs = x.hostSegment(), os = out.hostSegment();
        boolean lastDimContiguousF32 = xt == DType.F32 && nRed == 1 && reduced[rank - 1] && strides[rank - 1] == 1;
        int grain = (int) Math.max(1, (1 << 15) / Math.max(1, count));
        Parallel.range((int) outN, grain, (from, to) -> {
            for (int o = from; o < to; o++) {
                long base = ElementOrder.offsetOf(keptShape, keptStrides, x.offset(), o);
                if (lastDimContiguousF32) {
                    os.setAtIndex(HostAccess.F32, o, (float) rowF32(op, xs, base, (int) count));
                } else if (integral && op != ReduceOp.MEAN) {
                    HostAccess.writeLong(os, outType, o, reduceLong(op, xs, xt, base, redShape, redStrides));
                } else {
                    HostAccess.write(os, outType, o, reduceDouble(op, xs, xt, base, redShape, redStrides, count));
                }
            }
        });
        return out;
    }

    private static int countOf(int[] dims, int rank, int w) {
        int c = 0;
        for (int d : dims) if (Shapes.wrapDim(d, rank) == w) c++;
        return c;
    }

    private static double reduceDouble(ReduceOp op, MemorySegment xs, DType t, long base, int[] shape, long[] strides, long count) {
        double[] acc = {op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0};
        boolean[] nan = {false};
        ElementOrder.forEachOffset(shape, strides, base, (pos, off) -> {
            double v = HostAccess.read(xs, t, off);
            if (v != v) nan[0] = true;
            switch (op) {
                case SUM, MEAN -> acc[0] += v;
                case MAX -> acc[0] = Math.max(acc[0], v);
                case MIN -> acc[0] = Math.min(acc[0], v);
            }
        });
        if (nan[0]) return Double.NaN;
        return op == ReduceOp.MEAN ? acc[0] / count : acc[0];
    }

    private static long reduceLong(ReduceOp op, MemorySegment xs, DType t, long base, int[] shape, long[] strides) {
        long[] acc = {op == ReduceOp.MAX ? Long.MIN_VALUE : op == ReduceOp.MIN ? Long.MAX_VALUE : 0};
        ElementOrder.forEachOffset(shape, strides, base, (pos, off) -> {
            long v = HostAccess.readLong(xs, t, off);
            switch (op) {
                case SUM -> acc[0] += v;
                case MAX -> acc[0] = Math.max(acc[0], v);
                case MIN -> acc[0] = Math.min(acc[0], v);
                default -> throw new IllegalStateException();
            }
        });
        return acc[0];
    }

    /** One contiguous f32 row: SIMD with f32 lanes over blocks, each block's sum added in double. */
    private static double rowF32(ReduceOp op, MemorySegment xs, long off, int n) {
        ByteOrder order = ByteOrder.nativeOrder();
        int i = 0, bound = F.loopBound(n);
        if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
            double total = 0;
            while (i < bound) {
                FloatVector acc = FloatVector.zero(F);
                int blockEnd = Math.min(bound, i + F.length() * 64); // bound the f32 accumulation error per block
                for (; i < blockEnd; i += F.length()) acc = acc.add(FloatVector.fromMemorySegment(F, xs, (off + i) * 4, order));
                total += acc.reduceLanes(VectorOperators.ADD);
            }
            for (; i < n; i++) total += xs.getAtIndex(HostAccess.F32, off + i);
            return op == ReduceOp.MEAN ? total / n : total;
        }
        boolean max = op == ReduceOp.MAX;
        float best = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        boolean nan = false;
        FloatVector acc = FloatVector.broadcast(F, best);
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromMemorySegment(F, xs, (off + i) * 4, order);
            if (v.test(VectorOperators.IS_NAN).anyTrue()) nan = true;
            acc = max ? acc.max(v) : acc.min(v);
        }
        best = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        for (; i < n; i++) {
            float v = xs.getAtIndex(HostAccess.F32, off + i);
            if (v != v) nan = true;
            best = max ? Math.max(best, v) : Math.min(best, v);
        }
        return nan ? Double.NaN : best;
    }

    /** Index of the first maximum along dim (NaN counts as the maximum, as in PyTorch). */
    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        int rank = x.rank();
        int d = Shapes.wrapDim(dim, rank);
        int n = x.size(d);
        if (n == 0) throw new IllegalArgumentException("argmax over an empty dimension of shape " + Arrays.toString(x.shape()));
        int[] kept = removeDim(x.shape(), d);
        long[] keptStrides = new long[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) if (i != d) keptStrides[j++] = x.stride(i);
        long step = x.stride(d);
        int[] outShape = x.shape();
        outShape[d] = 1;
        Tensor out = Tensor.zeros(DType.I64, keepDim ? outShape : kept);
        MemorySegment xs = x.hostSegment(), os = out.hostSegment();
        DType t = x.dtype();
        Parallel.range((int) Shapes.numel(kept), Math.max(1, (1 << 15) / n), (from, to) -> {
            for (int o = from; o < to; o++) {
                long base = ElementOrder.offsetOf(kept, keptStrides, x.offset(), o);
                int best = 0;
                double bv = HostAccess.read(xs, t, base);
                for (int i = 1; i < n && bv == bv; i++) {
                    double v = HostAccess.read(xs, t, base + i * step);
                    if (v > bv || v != v) {
                        bv = v;
                        best = i;
                    }
                }
                os.setAtIndex(HostAccess.I64, o, best);
            }
        });
        return out;
    }

    private static int[] removeDim(int[] shape, int d) {
        int[] out = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != d) out[j++] = shape[i];
        return out;
    }
}
