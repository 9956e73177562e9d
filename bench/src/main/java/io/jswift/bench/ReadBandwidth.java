package io.jswift.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Main-memory read bandwidth as a decode step sees it: every core streams its share of a buffer far larger than
 * the caches with SIMD loads into four independent accumulators (so the adds never limit the rate). Best of 5, after a warm-up that has the JIT compile the loop.
 */
final class ReadBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private ReadBandwidth() {}

    static double measure(long bytes) throws Exception {
        return measure(bytes, 5);
    }

    /** Best of {@code reps} passes over one fresh buffer (a few passes: the bandwidth of that moment, to pair with a measurement beside it). */
    static double measure(long bytes, int reps) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buffer = arena.allocate(bytes, 64);
            buffer.fill((byte) 1);
            long share = bytes / threads / (4L * F.length() * 4) * (4L * F.length() * 4);
            // compile sum() first: run cold, its first passes were seen interpreted in a profile, under-reporting
            float warm = 0;
            for (int i = 0; i < 200; i++) warm += sum(buffer, 0, Math.min(share, 1L << 20));
            if (warm == 42) System.out.print("");
            double best = Double.MAX_VALUE;
            for (int rep = 0; rep < reps; rep++) {
                List<Callable<Float>> work = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long start = t * share;
                    work.add(() -> sum(buffer, start, start + share));
                }
                long t0 = System.nanoTime();
                float total = 0;
                for (Future<Float> f : pool.invokeAll(work)) total += f.get();
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                if (total == 42) System.out.print(""); // keep the sums alive
            }
            return share * threads / best;
        }
    }

    private static float sum(MemorySegment m, long from, long to) {
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        long step = 4L * F.vectorByteSize();
        for (long o = from; o < to; o += step) {
            a = a.add(FloatVector.fromMemorySegment(F, m, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, m, o + F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, m, o + 2L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, m, o + 3L * F.vectorByteSize(), ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
