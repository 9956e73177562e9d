package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ElementwiseRules;

import java.lang.foreign.MemorySegment;

/** Copies and conversions on the device, fills, and transfers between host and device memory. */
final class Copies {
    private Copies() {}

    /** dst[i] = cast(src[i]); equal shapes, both on the device, either may be a strided view. */
    static void copy(GpuDevice dev, Tensor src, Tensor dst) {
        ElementwiseRules.checkCopy(src, dst);
        GpuStorage s = dev.storage(src), d = dev.storage(dst);
        long n = src.numel();
        if (n == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            long esz = src.dtype().byteSize();
            dev.driver().copy(s.buffer(), src.offset() * esz, d.buffer(), dst.offset() * esz, n * esz);
            return;
        }
        ProgramSource source = KernelSource.of("copy.c").type("SRC", src.dtype()).type("DST", dst.dtype()).build();
        if (src.isContiguous() && dst.isContiguous()) {
            Launches.elements(dev, source, "copy_contiguous", n, src, src.offset(), dst, dst.offset(), n);
        } else {
            LaunchDims dims = LaunchDims.of(src.shape(), src.strides(), dst.strides());
            Launches.elements(dev, source, "copy_strided", n, src, src.offset(), dst, dst.offset(), dims.meta(), dims.rank(), n);
        }
    }

    /** Every element of {@code dst} (a view allowed) set to {@code value}, converted to its dtype. */
    static void fill(GpuDevice dev, Tensor dst, double value) {
        GpuStorage s = dev.storage(dst);
        long n = dst.numel();
        if (n == 0) return;
        DType t = dst.dtype();
        if (value == 0 && dst.isContiguous() && !(Double.doubleToRawLongBits(value) < 0)) {
            dev.driver().fill(s.buffer(), t.byteSize(dst.offset()), t.byteSize(n), (byte) 0); // +0.0 is all zero bits in every dtype
            return;
        }
        KernelSource src = KernelSource.of("fill.c").type("DST", t);
        Object arg;
        if (t == DType.F64) { src.define("VALUE_T", "double"); arg = value; }
        else if (t.isFloatingPoint()) { src.define("VALUE_T", "float"); arg = (float) value; }
        else { src.define("VALUE_T", "i64"); arg = (long) value; }
        LaunchDims dims = LaunchDims.of(dst.shape(), dst.strides());
        Launches.elements(dev, src.build(), "fill_strided", n, dst, dst.offset(), arg, dims.meta(), dims.rank(), n);
    }

    /** A contiguous device copy of a host tensor. */
    static Tensor fromHost(GpuDevice dev, Tensor host) {
        Tensor h = host.contiguous();
        Tensor out = GpuTensors.empty(dev, h.dtype(), h.shape());
        long bytes = h.dtype().byteSize(h.numel());
        if (bytes == 0) return out;
        MemorySegment seg = h.hostSegment().asSlice(h.dtype().byteSize(h.offset()), bytes);
        dev.driver().copyFromHost(seg, dev.storage(out).buffer(), 0);
        return out;
    }

    /** A contiguous host copy of a device tensor (blocks until the device has produced it). */
    static Tensor toHost(GpuDevice dev, Tensor t) {
        Tensor d = GpuTensors.dense(dev, t);
        Tensor out = Tensor.zeros(d.dtype(), d.shape());
        long bytes = d.dtype().byteSize(d.numel());
        if (bytes == 0) return out;
        dev.driver().copyToHost(dev.storage(d).buffer(), 0, out.hostSegment().asSlice(0, bytes));
        return out;
    }

    /** A device I64 vector holding {@code values} (indices, plans). */
    static Tensor longs(GpuDevice dev, long[] values) {
        return fromHost(dev, Tensor.ofLongs(values, values.length));
    }
}
