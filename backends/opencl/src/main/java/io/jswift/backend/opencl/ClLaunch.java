package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

import java.util.ArrayList;
import java.util.List;

import static org.jocl.CL.*;

/**
 * Sets a kernel's arguments and enqueues it. Arguments by Java type: a {@link Tensor} passes its buffer (the
 * caller passes its element offset separately), {@link cl_mem} a buffer, {@code Integer} an int, {@code Long} a
 * long, {@code Float} a float, {@code Double} a double, {@link Local} a __local array of that many bytes, and
 * {@code long[]} a temporary read-only buffer (shapes, strides) released once the kernel has run.
 */
final class ClLaunch {
    /** A {@code __local} argument of {@code bytes} bytes. */
    record Local(long bytes) {}

    private ClLaunch() {}

    /** A 1-D launch of {@code n} work items (the runtime picks the work-group size); n = 0 does nothing. */
    static void run1d(ClContext ctx, String source, String kernel, long n, Object... args) {
        if (n <= 0) return;
        run(ctx, source, kernel, new long[]{n}, null, args);
    }

    /** A launch with explicit global and (optional) local sizes; each global size must be a multiple of the local one. */
    static void run(ClContext ctx, String source, String kernelName, long[] global, long[] local, Object... args) {
        for (long g : global) if (g <= 0) return;
        cl_kernel kernel = ctx.kernel(source, kernelName);
        List<cl_mem> temporaries = new ArrayList<>();
        try {
            synchronized (ctx) {
                for (int i = 0; i < args.length; i++) setArg(ctx, kernel, i, args[i], temporaries);
                clEnqueueNDRangeKernel(ctx.queue(), kernel, global.length, null, global, local, 0, null, null);
            }
        } finally {
            // deletion is deferred by OpenCL until the kernel that uses them has finished
            for (cl_mem m : temporaries) clReleaseMemObject(m);
        }
    }

    private static void setArg(ClContext ctx, cl_kernel kernel, int i, Object a, List<cl_mem> temporaries) {
        switch (a) {
            case Tensor t -> clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(ClTensors.storage(ctx, t).mem()));
            case cl_mem m -> clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(m));
            case Integer v -> clSetKernelArg(kernel, i, Sizeof.cl_int, Pointer.to(new int[]{v}));
            case Long v -> clSetKernelArg(kernel, i, Sizeof.cl_long, Pointer.to(new long[]{v}));
            case Float v -> clSetKernelArg(kernel, i, Sizeof.cl_float, Pointer.to(new float[]{v}));
            case Double v -> clSetKernelArg(kernel, i, Sizeof.cl_double, Pointer.to(new double[]{v}));
            case Local l -> clSetKernelArg(kernel, i, l.bytes(), null);
            case long[] data -> {
                cl_mem m = ctx.constants(data);
                temporaries.add(m);
                clSetKernelArg(kernel, i, Sizeof.cl_mem, Pointer.to(m));
            }
            default -> throw new IllegalArgumentException("unsupported kernel argument " + a.getClass().getName());
        }
    }
}
