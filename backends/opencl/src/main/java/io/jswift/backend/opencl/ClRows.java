package io.jswift.backend.opencl;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.jocl.CL.*;

/**
 * What the fused kernels share: row kernels launched as one work-group per row (a power-of-two group size within
 * the device's and the kernel's limits, no larger than the row needs), the compute dtype (double when an operand is
 * F64, else float, as the CPU backend), scalar arguments in that type, and argument checks with clear messages.
 */
final class ClRows {
    /** Group size cap: enough to saturate a row reduction, small enough for every GPU's register budget. */
    static final int MAX_GROUP = 256;
    /**
     * Smallest group for short rows: a GPU runs a group below its SIMD width (32 or 64 lanes) at the cost of a
     * full one anyway, and fewer distinct sizes mean fewer kernel specializations (PoCL compiles one per size).
     */
    static final int MIN_GROUP = 32;
    /** Group size of the elementwise and column kernels. */
    static final int ELEMENT_GROUP = 64;

    private static final Map<cl_kernel, Long> KERNEL_LIMITS = new ConcurrentHashMap<>();

    private ClRows() {}

    /** Runs {@code kernel} with one work-group per row: {@code args}, then {@code localArrays} __local REAL arrays. */
    static void run(ClContext ctx, String source, String kernel, long rows, int rowLength, DType real, int localArrays, Object... args) {
        if (rows == 0) return;
        long group = groupSize(ctx, source, kernel, rowLength);
        Object[] all = Arrays.copyOf(args, args.length + localArrays);
        for (int i = 0; i < localArrays; i++) all[args.length + i] = new ClLaunch.Local(group * real.byteSize());
        ClLaunch.run(ctx, source, kernel, new long[]{rows * group}, new long[]{group}, all);
    }

    /**
     * A 1-D launch of {@code n} work items (the kernel checks its index against n) in groups of ELEMENT_GROUP, not of
     * a size the runtime picks per n: one kernel specialization whatever n is.
     */
    static void run1d(ClContext ctx, String source, String kernel, long n, Object... args) {
        if (n <= 0) return;
        long group = Math.min(ELEMENT_GROUP, Long.highestOneBit(kernelLimit(ctx, ctx.kernel(source, kernel))));
        ClLaunch.run(ctx, source, kernel, new long[]{roundUp(n, group)}, new long[]{group}, args);
    }

    /** A 2-D launch over [columns, count] (the kernel checks its column index) in groups of ELEMENT_GROUP columns. */
    static void runColumns(ClContext ctx, String source, String kernel, long columns, long count, Object... args) {
        if (columns <= 0 || count <= 0) return;
        long group = Math.min(ELEMENT_GROUP, Long.highestOneBit(kernelLimit(ctx, ctx.kernel(source, kernel))));
        ClLaunch.run(ctx, source, kernel, new long[]{roundUp(columns, group), count}, new long[]{group, 1}, args);
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /**
     * The next power of two of the row length, at least MIN_GROUP and at most the largest power of two within
     * MAX_GROUP and the device and kernel limits.
     */
    static long groupSize(ClContext ctx, String source, String kernel, int rowLength) {
        long limit = Math.min(MAX_GROUP, Math.min(ctx.maxWorkGroupSize(), kernelLimit(ctx, ctx.kernel(source, kernel))));
        long group = Long.highestOneBit(Math.max(1, limit));
        while (group > MIN_GROUP && group / 2 >= rowLength) group /= 2;
        return group;
    }

    /** CL_KERNEL_WORK_GROUP_SIZE: can be below the device maximum for a kernel that needs many registers. */
    private static long kernelLimit(ClContext ctx, cl_kernel kernel) {
        return KERNEL_LIMITS.computeIfAbsent(kernel, k -> {
            cl_device_id[] device = new cl_device_id[1];
            clGetContextInfo(ctx.clContext(), CL_CONTEXT_DEVICES, Sizeof.cl_device_id, Pointer.to(device), null);
            long[] size = new long[1];
            clGetKernelWorkGroupInfo(k, device[0], CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
            return size[0];
        });
    }

    /** F64 when any (non-null) tensor is F64, else F32: the compute type and the dtype of saved statistics. */
    static DType real(Tensor... ts) {
        return FusedRules.computeType(ts);
    }

    /** {@code v} as a kernel scalar of the compute type. */
    static Object scalar(DType real, double v) {
        return real == DType.F64 ? (Object) v : (Object) (float) v;
    }
}
