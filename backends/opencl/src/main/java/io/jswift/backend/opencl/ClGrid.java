package io.jswift.backend.opencl;

/**
 * 1-D launches of one work item per element with a fixed work-group size, the global size rounded up to a
 * multiple of it (the kernels return for {@code i >= n}). Fixing the size matters on PoCL, which compiles a
 * kernel once per work-group size: left to pick, it picks one per global size, recompiling for every new
 * tensor size. 64 divides the wavefront/warp sizes of current GPUs and every device's maximum.
 */
final class ClGrid {
    static final int LOCAL = 64;

    private ClGrid() {}

    /** Launches {@code n} work items of {@code kernel}; n = 0 does nothing. */
    static void run(ClContext ctx, String source, String kernel, long n, Object... args) {
        if (n <= 0) return;
        long local = Math.min(LOCAL, ctx.maxWorkGroupSize());
        long global = (n + local - 1) / local * local;
        ClLaunch.run(ctx, source, kernel, new long[]{global}, new long[]{local}, args);
    }
}
