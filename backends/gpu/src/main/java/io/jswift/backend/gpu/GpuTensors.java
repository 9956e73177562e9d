package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/** Tensor helpers of the device ops: allocation (zeroed or not), dense copies and layout metadata. */
public final class GpuTensors {
    private GpuTensors() {}

    /** A new contiguous tensor whose every element the caller's kernel writes: no zero-fill. */
    public static Tensor empty(GpuDevice dev, DType dtype, int... shape) {
        checkDtype(dev, dtype);
        return Tensor.contiguousOver(dev.allocate(dtype.byteSize(Shapes.numel(shape)), false), dtype, shape);
    }

    /** A new zero-filled contiguous tensor. */
    public static Tensor zeros(GpuDevice dev, DType dtype, int... shape) {
        checkDtype(dev, dtype);
        return Tensor.contiguousOver(dev.allocate(dtype.byteSize(Shapes.numel(shape)), true), dtype, shape);
    }

    private static void checkDtype(GpuDevice dev, DType dtype) {
        if (dtype.isPacked()) throw new UnsupportedOperationException(dev.device() + ": packed dtype " + dtype + " is not supported");
        if (dtype == DType.F64 && !dev.info().fp64()) {
            throw new UnsupportedOperationException(dev.info() + " has no double precision: F64 tensors cannot live there");
        }
    }

    /** {@code t} itself when it is contiguous, starts at element 0 and has {@code dtype}; else a dense converted copy. */
    public static Tensor dense(GpuDevice dev, Tensor t, DType dtype) {
        dev.storage(t);
        if (t.dtype() == dtype && t.offset() == 0 && t.isContiguous()) return t;
        Tensor out = empty(dev, dtype, t.shape());
        Copies.copy(dev, t, out);
        return out;
    }

    public static Tensor dense(GpuDevice dev, Tensor t) { return dense(dev, t, t.dtype()); }

    /** shape followed by each stride array: a kernel's by-value metadata. */
    public static long[] meta(int[] shape, long[]... strides) {
        long[] m = new long[shape.length * (1 + strides.length)];
        for (int d = 0; d < shape.length; d++) m[d] = shape[d];
        for (int s = 0; s < strides.length; s++) System.arraycopy(strides[s], 0, m, shape.length * (s + 1), shape.length);
        return m;
    }

    /** The strides of {@code t} broadcast to {@code shape} (0 along broadcast dims; leading dims added). */
    public static long[] broadcastStrides(Tensor t, int[] shape) {
        int[] ts = t.shape();
        long[] st = t.strides();
        long[] out = new long[shape.length];
        int lead = shape.length - ts.length;
        if (lead < 0) throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(ts) + " to " + Arrays.toString(shape));
        for (int d = 0; d < ts.length; d++) {
            if (ts[d] == shape[lead + d]) out[lead + d] = ts[d] == 1 ? 0 : st[d];
            else if (ts[d] == 1) out[lead + d] = 0;
            else throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(ts) + " to " + Arrays.toString(shape));
        }
        return out;
    }

    /** {@code v} as a kernel scalar of the compute type. */
    public static Object scalar(DType real, double v) {
        return real == DType.F64 ? (Object) v : (Object) (float) v;
    }
}
