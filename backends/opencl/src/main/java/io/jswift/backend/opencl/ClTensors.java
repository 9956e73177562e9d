package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/** Tensor helpers for the OpenCL kernels: device checks, allocation, dense copies and layout metadata. */
final class ClTensors {
    private ClTensors() {}

    /** The buffer of {@code t}, which must live on {@code ctx}'s device. */
    static ClStorage storage(ClContext ctx, Tensor t) {
        if (t.storage() instanceof ClStorage s && s.context() == ctx) return s;
        throw new IllegalArgumentException("tensor " + t + " is on " + t.device() + " but this op runs on "
                + ctx.device() + ": move it first with tensor.to(" + ctx.device() + ")");
    }

    /** A new zero-filled contiguous tensor on {@code ctx}'s device. */
    static Tensor allocate(ClContext ctx, DType dtype, int... shape) {
        if (dtype.isPacked()) throw new UnsupportedOperationException("opencl: packed dtype " + dtype + " is not supported");
        if (dtype == DType.F64 && !ctx.supportsFp64()) {
            throw new UnsupportedOperationException(ctx.device() + " (" + ctx.name() + ") has no double precision (cl_khr_fp64): F64 tensors cannot live there");
        }
        return Tensor.contiguousOver(ctx.allocate(dtype.byteSize(Shapes.numel(shape))), dtype, shape);
    }

    /** {@code t} itself when it is contiguous, starts at element 0 and has {@code dtype}; else a dense converted copy. */
    static Tensor dense(ClContext ctx, Tensor t, DType dtype) {
        storage(ctx, t);
        if (t.dtype() == dtype && t.offset() == 0 && t.isContiguous()) return t;
        Tensor out = allocate(ctx, dtype, t.shape());
        ClCopy.copy(ctx, t, out);
        return out;
    }

    /** {@code dense(t, t.dtype())}. */
    static Tensor dense(ClContext ctx, Tensor t) { return dense(ctx, t, t.dtype()); }

    /** shape followed by each stride array, as one long[] for a kernel's metadata buffer. */
    static long[] meta(int[] shape, long[]... strides) {
        long[] m = new long[shape.length * (1 + strides.length)];
        for (int d = 0; d < shape.length; d++) m[d] = shape[d];
        for (int s = 0; s < strides.length; s++) System.arraycopy(strides[s], 0, m, shape.length * (s + 1), shape.length);
        return m;
    }

    /** The strides of {@code t} broadcast to {@code shape} (0 along broadcast dims; leading dims added). */
    static long[] broadcastStrides(Tensor t, int[] shape) {
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
}
