package io.jswift.backend.cpu.kernels;

import io.jswift.tensor.ReduceLayout;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.ReduceRules;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Reductions over any set of dims. The dims are first coalesced ({@link ReduceLayout}); contiguous F32
 * layouts then run the SIMD kernels of {@link ReduceF32} (compensated f32 lanes combined in double),
 * everything else the strided loops here, which accumulate in double (integers in long).
 */
public final class ReduceKernels {
    private ReduceKernels() {}

    public static Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        ReduceRules.Reduction r = ReduceRules.reduction(op, x, dims, keepDim);
        int[] shape = x.shape();
        ReduceLayout layout = r.layout();
        long count = layout.count();
        DType xt = x.dtype();
        boolean integral = !xt.isFloatingPoint();
        DType outType = r.outType();
        Tensor out = Tensor.zeros(outType, r.outShape());
        long outN = Shapes.numel(layout.keptShape());
        if (outN == 0) return out;
        if (outN > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("reduction of shape " + Arrays.toString(shape) + " has too many outputs for one call");
        }
        MemorySegment xs = x.hostSegment(), os = out.hostSegment();
        if (xt == DType.F32 && count > 0 && count <= Integer.MAX_VALUE) {
            if (layout.innerContiguous()) {
                ReduceF32.inner(op, xs, x.offset(), layout.keptShape(), layout.keptStrides(), (int) count, os, (int) outN);
                return out;
            }
            if (layout.outerContiguous() && (op == ReduceOp.SUM || op == ReduceOp.MEAN)) {
                ReduceF32.outerSum(op == ReduceOp.MEAN, xs, x.offset(), layout, (int) count, os, (int) outN);
                return out;
            }
        }
        int[] keptShape = layout.keptShape(), redShape = layout.redShape();
        long[] keptStrides = layout.keptStrides(), redStrides = layout.redStrides();
        int grain = (int) Math.max(1, (1 << 15) / Math.max(1, count));
        Parallel.range((int) outN, grain, (from, to) -> {
            for (int o = from; o < to; o++) {
                long base = ElementOrder.offsetOf(keptShape, keptStrides, x.offset(), o);
                if (integral && op != ReduceOp.MEAN) {
                    HostAccess.writeLong(os, outType, o, reduceLong(op, xs, xt, base, redShape, redStrides));
                } else {
                    HostAccess.write(os, outType, o, reduceDouble(op, xs, xt, base, redShape, redStrides, count));
                }
            }
        });
        return out;
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

    /** Index of the first maximum along dim (NaN counts as the maximum, as in PyTorch). */
    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        ReduceRules.Argmax a = ReduceRules.argmax(x, dim, keepDim);
        int n = a.n();
        int[] kept = a.keptShape();
        long[] keptStrides = a.keptStrides();
        long step = x.stride(a.dim());
        Tensor out = Tensor.zeros(DType.I64, a.outShape());
        MemorySegment xs = x.hostSegment(), os = out.hostSegment();
        DType t = x.dtype();
        boolean integral = !t.isFloatingPoint();
        Parallel.range((int) Shapes.numel(kept), Math.max(1, (1 << 15) / n), (from, to) -> {
            for (int o = from; o < to; o++) {
                long base = ElementOrder.offsetOf(kept, keptStrides, x.offset(), o);
                os.setAtIndex(HostAccess.I64, o, integral ? argmaxLong(xs, t, base, step, n) : argmaxDouble(xs, t, base, step, n));
            }
        });
        return out;
    }

    private static int argmaxDouble(MemorySegment xs, DType t, long base, long step, int n) {
        int best = 0;
        double bv = HostAccess.read(xs, t, base);
        for (int i = 1; i < n && bv == bv; i++) {
            double v = HostAccess.read(xs, t, base + i * step);
            if (v > bv || v != v) {
                bv = v;
                best = i;
            }
        }
        return best;
    }

    /** Integers compare as longs: above 2^53 distinct I64 values can be equal as doubles. */
    private static int argmaxLong(MemorySegment xs, DType t, long base, long step, int n) {
        int best = 0;
        long bv = HostAccess.readLong(xs, t, base);
        for (int i = 1; i < n; i++) {
            long v = HostAccess.readLong(xs, t, base + i * step);
            if (v > bv) {
                bv = v;
                best = i;
            }
        }
        return best;
    }
}
