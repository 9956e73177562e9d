package io.jswift.backend.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
