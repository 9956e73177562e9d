package io.jswift.backend.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Block shapes of the GEMM kernels, chosen from the device's limits. gemm.c: a TM×TN tile of C per
 * work-group, K staged TK at a time, WM×WN outputs per work item, so (TM/WM)·(TN/WN) work items and
 * TK·(TM+1 + TN+1) reals of __local memory. The largest candidate that fits the device (and the compiled
 * kernel's own work-group limit) wins; {@code -Djswift.gpu.gemm.tile=TM,TN,TK,WM,WN} puts one first
 * (tuning on a new device).
 */
record GemmTiling(int tm, int tn, int tk, int wm, int wn) {
    static final String PROPERTY = "jswift.gpu.gemm.tile";

    /** Largest first: 64×64 tiles of 4×4 blocks (256 work items) suit GPUs and PoCL alike. */
    private static final List<GemmTiling> DEFAULTS = List.of(
            new GemmTiling(64, 64, 16, 4, 4),
            new GemmTiling(32, 32, 16, 4, 4),
            new GemmTiling(16, 16, 16, 4, 4),
            new GemmTiling(8, 8, 8, 4, 4),
            new GemmTiling(4, 4, 4, 4, 4));

    GemmTiling {
        if (tm <= 0 || tn <= 0 || tk <= 0 || wm <= 0 || wn <= 0 || tm % wm != 0 || tn % wn != 0) {
            throw new IllegalArgumentException("GEMM tiling " + tm + "," + tn + "," + tk + "," + wm + "," + wn
                    + ": every size must be positive and TM, TN multiples of WM, WN");
        }
    }

    int rows() { return tm / wm; }

    int cols() { return tn / wn; }

    int threads() { return rows() * cols(); }

    long localBytes(int realBytes) { return (long) tk * (tm + 1 + tn + 1) * realBytes; }

    boolean fits(GpuDevice dev, int realBytes) {
        return threads() <= dev.info().maxThreadsPerBlock() && localBytes(realBytes) <= dev.info().sharedMemBytes();
    }

    /** The candidates that fit {@code dev} for reals of {@code realBytes}, best first (the override, if set, leads). */
    static List<GemmTiling> candidates(GpuDevice dev, int realBytes) {
        List<GemmTiling> out = new ArrayList<>();
        String override = System.getProperty(PROPERTY);
        if (override != null && !override.isBlank()) out.add(parse(override));
        for (GemmTiling t : DEFAULTS) if (t.fits(dev, realBytes) && !out.contains(t)) out.add(t);
        if (out.isEmpty()) throw new IllegalStateException(dev.info() + " has too little work-group size ("
                + dev.info().maxThreadsPerBlock() + ") or local memory (" + dev.info().sharedMemBytes() + " bytes) for any GEMM tiling");
        return out;
    }

    static GemmTiling parse(String spec) {
        String[] p = spec.trim().split("\\s*,\\s*");
        if (p.length != 5) throw new IllegalArgumentException(PROPERTY + " must be TM,TN,TK,WM,WN, got '" + spec + "'");
        int[] v = new int[5];
        for (int i = 0; i < 5; i++) {
            try {
                v[i] = Integer.parseInt(p[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(PROPERTY + " must be TM,TN,TK,WM,WN, got '" + spec + "'", e);
            }
        }
        return new GemmTiling(v[0], v[1], v[2], v[3], v[4]);
    }

    /**
     * gemm.c's gemv_small_m work-group: COLS columns × SLICES k-slices, at most 256 work items, a power of two. Many slices
     * when B is read along k (nn.Linear weights with transB), few when adjacent columns are adjacent in memory.
     */
    static int[] gemvShape(long maxThreads, boolean bColumnsContiguous) {
        int threads = Integer.highestOneBit((int) Math.min(256, Math.max(1, maxThreads)));
        int slices = bColumnsContiguous ? Math.min(8, threads) : threads / Math.min(4, threads);
        return new int[]{threads / slices, slices};
    }
}
