package io.jswift.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Static-schedule parallel loops over the machine's cores ({@code -Djswift.threads=N} overrides the count).
 * A range is cut into at most one contiguous chunk per thread; the calling thread runs the first chunk and
 * persistent workers run the others. Workers spin for {@code jswift.spinMicros} (default 200 µs) before
 * parking, like OpenBLAS's threads: on virtual machines waking a parked thread can take milliseconds,
 * which made small fused ops 10-100x slower and every timing erratic with a plain ForkJoinPool.
 * Nested calls, and calls made while another thread holds the workers, run inline.
 */
public final class Parallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("jswift.threads", Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NANOS = Long.getLong("jswift.spinMicros", 200) * 1000;
    private static final Worker[] WORKERS = new Worker[THREADS - 1];
    private static final ReentrantLock POOL = new ReentrantLock();

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker(i + 1);
            WORKERS[i].start();
        }
    }

    private Parallel() {}

    /** Work on the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() { return THREADS; }

    /**
     * Runs {@code body} over [0, n) in at most {@link #threads()} contiguous chunks of at least {@code grain}
     * indices. {@code body} must be safe to run concurrently on disjoint ranges; an exception in any chunk
     * is rethrown here after every chunk finished.
     */
    public static void range(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = (int) Math.min(THREADS, (n + (long) Math.max(1, grain) - 1) / Math.max(1, grain));
        // POOL is reentrant: a nested call from the caller's own chunk must run inline too, or its job would
        // overwrite the one a busy worker has not yet taken and both callers would wait forever
        if (chunks <= 1 || Thread.currentThread() instanceof Worker || POOL.isHeldByCurrentThread() || !POOL.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Job job = new Job(body, n, chunks, Thread.currentThread());
            for (int c = 1; c < chunks; c++) WORKERS[c - 1].submit(job, c);
            job.runChunk(0);
            job.awaitOthers();
            job.rethrow();
        } finally {
            POOL.unlock();
        }
    }

    /**
     * Runs {@code body} over [0, n) in chunks of {@code grain} indices that every core takes in turn from a shared
     * counter until none is left: for memory-bound loops on cores of uneven speed (a VM's neighbours), where a
     * static split waits for the slowest core.
     */
    public static void dynamic(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int chunks = (int) ((n + (long) g - 1) / g);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        range(Math.min(chunks, THREADS), 1, (a, b) -> {
            for (int c; (c = next.getAndIncrement()) < chunks; ) body.run(c * g, (int) Math.min(n, (long) (c + 1) * g));
        });
    }

    /** Runs exactly {@code tasks} tasks (e.g. one per thread), task i receiving [i, i+1). */
    public static void tasks(int tasks, RangeBody body) {
        range(tasks, 1, body);
    }

    private static final class Job {
        final RangeBody body;
        final int n, chunks;
        final Thread caller;
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(RangeBody body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
            this.pending = new AtomicInteger(chunks - 1);
        }

        void runChunk(int c) {
            try {
                body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            } catch (Throwable t) {
                if (failure == null) failure = t;
            }
        }

        void finishedByWorker() {
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }

        void awaitOthers() {
            long start = System.nanoTime();
            while (pending.get() > 0) {
                if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 100_000);
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error er) throw er;
            if (t != null) throw new IllegalStateException(t);
        }
    }

    /** A daemon thread that takes one chunk of a job at a time, spinning briefly before it parks. */
    private static final class Worker extends Thread {
        private volatile Job job;
        private volatile int chunk;

        Worker(int index) {
            super("jswift-cpu-" + index);
            setDaemon(true);
        }

        void submit(Job j, int c) {
            chunk = c;
            job = j;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                Job j;
                long start = System.nanoTime();
                while ((j = job) == null) {
                    if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                int c = chunk;
                job = null;
                j.runChunk(c);
                j.finishedByWorker();
            }
        }
    }
}
