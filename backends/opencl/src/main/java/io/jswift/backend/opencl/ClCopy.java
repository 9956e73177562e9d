package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.jocl.Pointer;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static org.jocl.CL.*;

/** Copies and conversions on the device, fills, and transfers between host and device memory. */
final class ClCopy {
    /** Transfers run in chunks below 2 GiB, the most a ByteBuffer (JOCL's Pointer) can address. */
    private static final long CHUNK = 1L << 30;

    private ClCopy() {}

    /** dst[i] = cast(src[i]); equal shapes, both on the device, either may be a strided view. */
    static void copy(ClContext ctx, Tensor src, Tensor dst) {
        if (!Arrays.equals(src.shape(), dst.shape())) {
            throw new IllegalArgumentException("copy: source shape " + Arrays.toString(src.shape())
                    + " differs from destination shape " + Arrays.toString(dst.shape()));
        }
        ClTensors.storage(ctx, src);
        ClTensors.storage(ctx, dst);
        long n = src.numel();
        if (n == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            long esz = src.dtype().byteSize();
            synchronized (ctx) {
                clEnqueueCopyBuffer(ctx.queue(), ClTensors.storage(ctx, src).mem(), ClTensors.storage(ctx, dst).mem(),
                        src.offset() * esz, dst.offset() * esz, n * esz, 0, null, null);
            }
            return;
        }
        String source = ClSource.of("copy.cl").type("SRC", src.dtype()).type("DST", dst.dtype()).text();
        if (src.isContiguous() && dst.isContiguous()) {
            ClLaunch.run1d(ctx, source, "copy_contiguous", n, src, src.offset(), dst, dst.offset(), n);
        } else {
            ClLaunch.run1d(ctx, source, "copy_strided", n, src, src.offset(), dst, dst.offset(),
                    ClTensors.meta(src.shape(), src.strides(), dst.strides()), src.rank(), n);
        }
    }

    /** Every element of {@code dst} (a view allowed) set to {@code value}, converted to its dtype. */
    static void fill(ClContext ctx, Tensor dst, double value) {
        ClTensors.storage(ctx, dst);
        long n = dst.numel();
        if (n == 0) return;
        DType t = dst.dtype();
        ClSource src = ClSource.of("fill.cl").type("DST", t);
        Object arg;
        if (t == DType.F64) { src.define("VALUE_T", "double"); arg = value; }
        else if (t.isFloatingPoint()) { src.define("VALUE_T", "float"); arg = (float) value; }
        else { src.define("VALUE_T", "long"); arg = (long) value; }
        ClLaunch.run1d(ctx, src.text(), "fill_strided", n, dst, dst.offset(), arg,
                ClTensors.meta(dst.shape(), dst.strides()), dst.rank(), n);
    }

    /** A contiguous device copy of a host tensor. */
    static Tensor fromHost(ClContext ctx, Tensor host) {
        Tensor h = host.contiguous();
        Tensor out = ClTensors.allocate(ctx, h.dtype(), h.shape());
        long bytes = h.dtype().byteSize(h.numel());
        if (bytes == 0) return out;
        MemorySegment seg = h.hostSegment().asSlice(h.dtype().byteSize(h.offset()), bytes);
        for (long at = 0; at < bytes; at += CHUNK) {
            long len = Math.min(CHUNK, bytes - at);
            synchronized (ctx) {
                clEnqueueWriteBuffer(ctx.queue(), ClTensors.storage(ctx, out).mem(), CL_TRUE, at, len,
                        Pointer.to(seg.asSlice(at, len).asByteBuffer()), 0, null, null);
            }
        }
        return out;
    }

    /** A contiguous host copy of a device tensor (blocks until the device has produced it). */
    static Tensor toHost(ClContext ctx, Tensor t) {
        Tensor d = ClTensors.dense(ctx, t);
        Tensor out = Tensor.zeros(d.dtype(), d.shape());
        long bytes = d.dtype().byteSize(d.numel());
        if (bytes == 0) return out;
        MemorySegment seg = out.hostSegment();
        for (long at = 0; at < bytes; at += CHUNK) {
            long len = Math.min(CHUNK, bytes - at);
            synchronized (ctx) {
                clEnqueueReadBuffer(ctx.queue(), ClTensors.storage(ctx, d).mem(), CL_TRUE, at, len,
                        Pointer.to(seg.asSlice(at, len).asByteBuffer()), 0, null, null);
            }
        }
        return out;
    }
}
