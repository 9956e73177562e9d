package io.jswift.backend.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ParallelTest {
    /**
     * A range whose chunks start nested ranges (a batched matmul whose per-batch GEMM or GEMV is parallel
     * itself): every index runs exactly once and nothing deadlocks. The caller's nested call used to take the
     * reentrant pool lock again and overwrite the job a worker had not yet picked up, leaving both waiting.
     */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void nestedRangesRunInlineAndComplete() throws InterruptedException {
        for (int rep = 0; rep < 300; rep++) {
            Thread.sleep(1); // past the workers' spin: a parked worker wakes slowly, widening the window
            AtomicIntegerArray hits = new AtomicIntegerArray(4 * 64);
            Parallel.range(4, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int outer = i;
                    Parallel.range(64, 1, (f, t) -> { for (int j = f; j < t; j++) hits.incrementAndGet(outer * 64 + j); });
                }
            });
            for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i), "index " + i + " in repetition " + rep);
        }
    }

    /**
     * splitting: every index exactly once, for sizes around the step and the thread count, while one thread now
     * and then stops in the middle of a step (as a descheduled core does) so that the other steals its shares'
     * halves; each call is followed by a plain range and a dynamic call on the same workers.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void splittingRunsEveryIndexOnceWhileOneThreadStalls() throws InterruptedException {
        Random random = new Random(7);
        for (int rep = 0; rep < 400; rep++) {
            int n = 1 + random.nextInt(rep % 3 == 0 ? 8 : 3000), step = 1 + random.nextInt(40);
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            int stallAt = random.nextInt(n);
            boolean stallWorker = random.nextBoolean();
            Parallel.splitting(n, step, (from, to) -> {
                boolean worker = Thread.currentThread().getName().startsWith("jswift-cpu-");
                if (from <= stallAt && stallAt < to && worker == stallWorker) pause(1 + stallAt % 3);
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + " (step " + step + ") in repetition " + rep);
            AtomicIntegerArray after = new AtomicIntegerArray(64);
            Parallel.range(64, 1, (from, to) -> { for (int i = from; i < to; i++) after.incrementAndGet(i); });
            Parallel.dynamic(64, 3, (from, to) -> { for (int i = from; i < to; i++) after.incrementAndGet(i); });
            for (int i = 0; i < 64; i++) assertEquals(2, after.get(i), "range + dynamic after splitting, index " + i + " in repetition " + rep);
            if (rep % 50 == 0) Thread.sleep(1); // past the workers' spin: parked workers wake slowly
        }
    }

    /** Ranges split into steps keep their order within a thread: each thread's steps ascend (one memory stream). */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void splittingStepsAreContiguousWithinAShare() {
        int n = 10_000, step = 16;
        List<int[]> steps = java.util.Collections.synchronizedList(new ArrayList<>());
        Parallel.splitting(n, step, (from, to) -> {
            steps.add(new int[]{from, to});
            if (to - from > step) throw new AssertionError("a step of " + (to - from) + " indices, more than " + step);
        });
        long covered = 0;
        for (int[] s : steps) covered += s[1] - s[0];
        assertEquals(n, covered);
        // the first share starts at 0 and, unless stolen from, runs forward: its first steps are 0, 16, 32, ...
        assertEquals(0, steps.stream().mapToInt(s -> s[0]).min().orElseThrow());
    }

    /** A failing step is rethrown by the caller, the other indices still run, and the pool works afterwards. */
    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void splittingRethrowsAFailureAndStaysUsable() {
        for (int failAt : new int[]{0, 500, 999}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            IllegalStateException boom = new IllegalStateException("boom at " + failAt);
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.splitting(1000, 10, (from, to) -> {
                for (int i = from; i < to; i++) {
                    if (i == failAt) throw boom;
                    hits.incrementAndGet(i);
                }
            }));
            assertSame(boom, thrown);
            for (int i = 0; i < 1000; i++) if (i / 10 != failAt / 10) assertEquals(1, hits.get(i), "index " + i);
        }
        // both threads failing: nobody is left to run the rest, and the caller must still return
        AtomicReference<Throwable> seen = new AtomicReference<>();
        try {
            Parallel.splitting(1000, 10, (from, to) -> { throw new IllegalArgumentException("always"); });
        } catch (IllegalArgumentException e) {
            seen.set(e);
        }
        assertNotNull(seen.get());
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.splitting(100, 7, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
    }

    /**
     * Two application threads (a server's two requests) calling splitting at once: one gets the workers, the other
     * runs its range inline (it cannot take the pool), and both see every index once.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void concurrentCallersEachSeeEveryIndexOnce() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] callers = new Thread[2];
        for (int c = 0; c < callers.length; c++) {
            int seed = c;
            callers[c] = new Thread(() -> {
                Random random = new Random(seed);
                try {
                    for (int rep = 0; rep < 300; rep++) {
                        int n = 1 + random.nextInt(5000);
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        Parallel.splitting(n, 1 + random.nextInt(64), (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
                        for (int i = 0; i < n; i++) if (hits.get(i) != 1) throw new AssertionError("caller " + seed + ": index " + i + " ran " + hits.get(i) + " times");
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    private static void pause(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
