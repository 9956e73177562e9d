package io.jswift.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits index ranges over the machine's cores. One shared pool sized to the available processors
 * (override with -Djswift.threads=N); small ranges run inline so tiny ops pay no scheduling cost.
 */
public final class Parallel {
    private static final int THREADS = Integer.getInteger("jswift.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private Parallel() {}

    /** Work on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() { return THREADS; }

    /**
     * Runs {@code body} over [0, n) in chunks of at least {@code grain} indices, in parallel when there
     * is more than one chunk. {@code body} must be safe to run concurrently on disjoint ranges.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        if (POOL == null || n <= g || insidePool()) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(THREADS * 4, (n + g - 1) / g);
        int step = (n + chunks - 1) / chunks;
        POOL.invoke(new Split(0, n, step, body));
    }

    /** Nested parallel calls run inline: the outer split already occupies every core. */
    private static boolean insidePool() {
        return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL;
    }

    /** Runs exactly {@code tasks} tasks (e.g. one per thread), task i receiving [i, i+1). */
    public static void tasks(int tasks, RangeBody body) {
        range(tasks, 1, body);
    }

    private static final class Split extends RecursiveAction {
        private final int from, to, step;
        private final RangeBody body;

        Split(int from, int to, int step, RangeBody body) {
            this.from = from;
            this.to = to;
            this.step = step;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from <= step) {
                body.run(from, to);
                return;
            }
            int mid = from + ((to - from) / step / 2) * step;
            if (mid == from) mid = from + step;
            invokeAll(new Split(from, mid, step, body), new Split(mid, to, step, body));
        }
    }
}
