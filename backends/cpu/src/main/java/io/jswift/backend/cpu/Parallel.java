package io.jswift.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
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

    /**
     * Runs {@code body} over [0, n) with each thread owning a contiguous share, which it runs forward {@code step}
     * indices at a time; a thread whose share is done takes the back half of the largest share left (range
     * splitting, as in Cilk's and TBB's work stealing), until none is left. Each core's memory stream stays
     * contiguous, as in a static split, and the cores finish within about one step of each other, where with
     * {@link #dynamic}'s fixed chunks the first core done waited for up to a whole chunk of the other's (decoding
     * Llama-3.2-1B, the caller's waits of 5-50 µs fell from ~0.8 to ~0.1 ms per token).
     */
    public static void splitting(int n, int step, RangeBody body) {
        if (n <= 0) return;
        int s = Math.max(1, step);
        if (THREADS == 1 || n <= s || Thread.currentThread() instanceof Worker || POOL.isHeldByCurrentThread()) {
            body.run(0, n); // (nested calls run inline, see range)
            return;
        }
        AtomicLongArray shares = new AtomicLongArray(THREADS);
        for (int t = 0; t < THREADS; t++) shares.set(t, share((int) ((long) n * t / THREADS), (int) ((long) n * (t + 1) / THREADS)));
        range(THREADS, 1, (from, to) -> {
            for (int t = from; t < to; t++) runShare(shares, t, s, body);
        });
    }

    /** Thread {@code t}'s part of {@link #splitting}: its own share step by step, then halves of the others'. */
    private static void runShare(AtomicLongArray shares, int t, int step, RangeBody body) {
        while (true) {
            long own = shares.get(t);
            int cur = shareStart(own), end = shareEnd(own);
            if (cur < end) {
                int stop = (int) Math.min(end, (long) cur + step);
                // a claimed step is the owner's alone: a thief only ever moves a share's end, never below its start
                if (shares.compareAndSet(t, own, share(stop, end))) body.run(cur, stop);
                continue;
            }
            int victim = -1;
            long most = 0;
            for (int v = 0; v < shares.length(); v++) {
                long theirs = shares.get(v), left = (long) shareEnd(theirs) - shareStart(theirs);
                if (left > most) {
                    most = left;
                    victim = v;
                }
            }
            if (victim < 0) return;
            long theirs = shares.get(victim);
            int from = shareStart(theirs), to = shareEnd(theirs);
            if (from >= to) continue;
            int mid = from + (to - from) / 2;
            // nobody touches an empty share, so this thread's own slot is free to take the stolen half
            if (shares.compareAndSet(victim, theirs, share(from, mid))) shares.set(t, share(mid, to));
        }
    }

    /** A share [start, end) packed in one long, so that claiming a step and stealing a half are single CASes. */
    private static long share(int start, int end) {
        return ((long) start << 32) | (end & 0xFFFFFFFFL);
    }

    private static int shareStart(long share) {
        return (int) (share >>> 32);
    }

    private static int shareEnd(long share) {
        return (int) share;
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
