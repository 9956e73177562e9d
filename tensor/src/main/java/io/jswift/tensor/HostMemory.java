package io.jswift.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Off-heap allocation for host tensors. Each allocation owns a shared {@link Arena} that is closed
 * either explicitly ({@link HostStorage#release()}) or by a {@link Cleaner} once the storage is
 * unreachable. Because the garbage collector cannot see off-heap bytes, live bytes are counted
 * and a collection is requested when they double since the last one (as the JDK does for direct
 * buffers), so a training loop that drops activations does not grow native memory without bound.
 */
final class HostMemory {
    static final Cleaner CLEANER = Cleaner.create();
    private static final long MIN_GC_THRESHOLD = 512L << 20;
    private static final AtomicLong LIVE = new AtomicLong();
    private static volatile long gcThreshold = MIN_GC_THRESHOLD;

    private HostMemory() {}

    /** A zero-filled, 64-byte aligned segment of {@code bytes} bytes and the arena that owns it. */
    static Allocation allocate(long bytes) {
        long live = LIVE.addAndGet(bytes);
        if (live > gcThreshold) {
            System.gc();
            gcThreshold = Math.max(MIN_GC_THRESHOLD, 2 * LIVE.get());
        }
        Arena arena = Arena.ofShared();
        MemorySegment segment;
        try {
            segment = arena.allocate(Math.max(bytes, 1), 64);
        } catch (OutOfMemoryError e) {
            arena.close();
            LIVE.addAndGet(-bytes);
            throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of host memory for a tensor: " + e.getMessage());
        }
        return new Allocation(segment.asSlice(0, bytes), new Freer(arena, bytes));
    }

    static long liveBytes() { return LIVE.get(); }

    record Allocation(MemorySegment segment, Freer freer) {}

    /** Closes the arena once; safe to call from the cleaner thread and explicitly. */
    static final class Freer implements Runnable {
        private final Arena arena;
        private final long bytes;
        private boolean done;

        Freer(Arena arena, long bytes) {
            this.arena = arena;
            this.bytes = bytes;
        }

        @Override
        public synchronized void run() {
            if (done) return;
            done = true;
            arena.close();
            LIVE.addAndGet(-bytes);
        }
    }
}
