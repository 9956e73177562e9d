package io.jswift.backend.gpu;

/**
 * Launch geometry of the kernels that do not tile by hand. Block sizes are fixed per kernel family, not picked
 * per launch, because PoCL compiles a kernel once per work-group size (left to pick, it would recompile for every
 * new tensor size), and because the row kernels' shared arrays are sized by the group at compile time.
 */
public final class Launches {
    /** Threads per block of the elementwise and column kernels: divides every current warp/wavefront size. */
    public static final int ELEMENT_BLOCK = 64;
    /** Row-kernel group cap: enough to saturate a row reduction, small enough for every GPU's register budget. */
    public static final int MAX_GROUP = 256;
    /**
     * Smallest group for short rows: a GPU runs a group below its SIMD width (32 or 64 lanes) at the cost of a
     * full one anyway, and fewer distinct sizes mean fewer kernel specializations.
     */
    public static final int MIN_GROUP = 32;

    private Launches() {}

    /** {@code n} threads of a kernel that checks its index against n; n = 0 does nothing. */
    public static void elements(GpuDevice dev, ProgramSource src, String kernel, long n, Object... args) {
        if (n <= 0) return;
        int block = elementBlock(dev);
        dev.launch(src, kernel, Dim3.of(blocks(n, block)), Dim3.of(block), args);
    }

    /** One block of {@code group} threads per row (the kernel's shared arrays are sized by its GROUP define). */
    public static void rows(GpuDevice dev, ProgramSource src, String kernel, long rows, int group, Object... args) {
        if (rows <= 0) return;
        dev.launch(src, kernel, Dim3.of(blocks(rows, 1)), Dim3.of(group), args);
    }

    /**
     * Threads over [columns, count]: blocks of ELEMENT_BLOCK columns along x; along y at most 65535 blocks (the
     * kernel strides over the rest with {@code NUM_GROUPS(1)}).
     */
    public static void columns(GpuDevice dev, ProgramSource src, String kernel, long columns, long count, Object... args) {
        if (columns <= 0 || count <= 0) return;
        int block = elementBlock(dev);
        dev.launch(src, kernel, Dim3.of(blocks(columns, block), (int) Math.min(count, GpuDevice.MAX_GRID_YZ)), Dim3.of(block, 1), args);
    }

    /**
     * The row kernels' group: the next power of two of the row length, at least MIN_GROUP and at most the largest
     * power of two within MAX_GROUP and the device's limit.
     */
    public static int rowGroup(GpuDevice dev, long rowLength) {
        int group = Integer.highestOneBit(Math.max(1, Math.min(MAX_GROUP, dev.info().maxThreadsPerBlock())));
        while (group > MIN_GROUP && group / 2 >= rowLength) group /= 2;
        return group;
    }

    /** The largest power-of-two block within {@code cap} threads that the device runs. */
    public static int block(GpuDevice dev, int cap) {
        return Integer.highestOneBit(Math.max(1, Math.min(cap, dev.info().maxThreadsPerBlock())));
    }

    static int elementBlock(GpuDevice dev) {
        return block(dev, ELEMENT_BLOCK);
    }

    static int blocks(long n, int block) {
        long b = (n + block - 1) / block;
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException("launch of " + n + " threads is too large");
        return (int) b;
    }
}
