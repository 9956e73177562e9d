package io.jswift.backend.gpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device allocator (PyTorch's CUDACachingAllocator idea, much simplified): a buffer whose tensor became
 * unreachable goes back to a free list of its size class instead of to the driver, and the next allocation of
 * that class takes it without a driver call. Sizes round up to a power of two (at least 256 bytes) up to 4 MiB,
 * to a multiple of 2 MiB above, so that buffers of nearby sizes share a class.
 *
 * <p>Reuse is safe without events because a driver runs everything in one in-order queue: a buffer is returned
 * only when no tensor can reach it any more, so every launch that used it was queued before any launch of its
 * next owner. When the driver runs out of memory the pool frees every cached buffer and retries; then it runs
 * the garbage collector (tensors nobody holds return their buffers through their cleaners) and retries once more.
 */
public final class BufferPool {
    private static final long SMALL = 4L << 20, LARGE_STEP = 2L << 20, MIN = 256;

    private final Driver driver;
    private final Map<Long, ArrayDeque<DeviceBuffer>> free = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;

    public BufferPool(Driver driver) { this.driver = driver; }

    /** The size class of a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes <= MIN) return MIN;
        if (bytes <= SMALL) return Long.highestOneBit(bytes - 1) << 1;
        return (bytes + LARGE_STEP - 1) / LARGE_STEP * LARGE_STEP;
    }

    /** A buffer of at least {@code bytes}, contents undefined. */
    public DeviceBuffer take(long bytes) {
        long size = sizeClass(bytes);
        synchronized (this) {
            ArrayDeque<DeviceBuffer> list = free.get(size);
            if (list != null && !list.isEmpty()) {
                cachedBytes -= size;
                liveBytes += size;
                return list.pop();
            }
        }
        DeviceBuffer b = allocate(size);
        synchronized (this) { liveBytes += size; }
        return b;
    }

    /** Returns a buffer taken from this pool (from a tensor storage's cleaner). */
    public synchronized void give(DeviceBuffer buffer) {
        long size = buffer.byteSize();
        liveBytes -= size;
        cachedBytes += size;
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(buffer);
    }

    /** Frees every cached buffer (kept for reuse) back to the driver. */
    public synchronized void trim() {
        for (ArrayDeque<DeviceBuffer> list : free.values()) for (DeviceBuffer b : list) driver.free(b);
        free.clear();
        cachedBytes = 0;
    }

    public synchronized long liveBytes() { return liveBytes; }

    public synchronized long cachedBytes() { return cachedBytes; }

    private DeviceBuffer allocate(long size) {
        try {
            return driver.allocate(size);
        } catch (DeviceOutOfMemoryException first) {
            trim();
            try {
                return driver.allocate(size);
            } catch (DeviceOutOfMemoryException second) {
                // device buffers of unreachable tensors come back through their cleaners once collected
                System.gc();
                try { Thread.sleep(50); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
                trim();
                try {
                    return driver.allocate(size);
                } catch (DeviceOutOfMemoryException last) {
                    DeviceInfo info = driver.info();
                    throw new IllegalStateException("out of memory on " + info + ": cannot allocate " + size + " bytes with "
                            + liveBytes() + " bytes in use of " + info.globalMemBytes(), last);
                }
            }
        }
    }
}
