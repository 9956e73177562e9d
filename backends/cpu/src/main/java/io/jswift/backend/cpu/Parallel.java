package io.jswift.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Static-schedule parallel loops over the machine's cores (-Djswift.threads=N overrides the count). A range
 * is cut into at most one contiguous chunk per thread; the calling thread runs the first chunk itself and a
 * pool of (threads - 1) workers runs the others, so exactly {@code threads} threads compete for the cores
 * (an extra waiting caller made GEMM timings bimodal). Small ranges and nested calls run inline.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("jswift.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1) : null;

    private Parallel() {}

    /** Work on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() { return THREADS; }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} contiguous chunks of at least {@code grain}
     * indices. {@code body} must be safe to run concurrently on disjoint ranges.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = (int) Math.min(THREADS, (n + (long) Math.max(1, grain) - 1) / Math.max(1, grain));
        if (POOL == null || chunks <= 1 || insidePool()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int lo = (int) ((long) n * c / chunks), hi = (int) ((long) n * (c + 1) / chunks);
            others[c - 1] = POOL.submit(() -> body.run(lo, hi));
        }
        Throwable failure = null;
        try {
            body.run(0, (int) ((long) n / chunks));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> t : others) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
    }

    /** Runs exactly {@code tasks} tasks (e.g. one per thread), task i receiving [i, i+1). */
    public static void tasks(int tasks, RangeBody body) {
        range(tasks, 1, body);
    }

    /** Nested parallel calls run inline: the outer split already occupies every core. */
    private static boolean insidePool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL;
    }
}
