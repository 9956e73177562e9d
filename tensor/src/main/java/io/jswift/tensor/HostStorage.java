package io.jswift.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Storage in host memory: an off-heap allocation (freed by the garbage collector when unreachable, see
 * {@link HostMemory}) or a borrowed segment such as an mmapped file region.
 */
public final class HostStorage implements Storage {
    private static final java.util.concurrent.atomic.AtomicLong ALLOCATIONS = new java.util.concurrent.atomic.AtomicLong();
    private MemorySegment segment;
    private final Object owner; // keeps the owner of a borrowed segment (e.g. a mapped file) reachable
    private final long serial;  // order of allocation (-1: borrowed memory, never released early)
    Object block;               // HostMemory's handle of the allocation

    private HostStorage(MemorySegment segment, Object owner, long serial) {
        this.segment = segment;
        this.owner = owner;
        this.serial = serial;
    }

    /** Allocates {@code bytes} zero-filled off-heap bytes (see {@link HostMemory}). */
    public static HostStorage allocate(long bytes) {
        HostStorage s = new HostStorage(null, null, ALLOCATIONS.incrementAndGet());
        s.segment = HostMemory.allocate(bytes, s);
        return s;
    }

    /** The serial the next allocation will be above: storages allocated after this call have a larger one. */
    public static long allocationMark() { return ALLOCATIONS.get(); }

    /**
     * Returns the memory of {@code storage} to the allocator's cache right away when it is host memory allocated
     * after {@code mark} ({@link #allocationMark()}); returns whether it did. The caller guarantees that no tensor
     * viewing this storage is used again (one that is fails: its segment is empty).
     */
    /** Whether {@code storage} is live host memory allocated after {@code mark} ({@link #allocationMark()}). */
    public static boolean allocatedAfter(Storage storage, long mark) {
        return storage instanceof HostStorage h && h.serial > mark && h.block != null;
    }

    public static boolean releaseIfNewer(Storage storage, long mark) {
        if (!(storage instanceof HostStorage h) || h.serial <= mark || h.block == null) return false;
        HostMemory.release(h);
        return true;
    }

    void markReleased() { segment = MemorySegment.NULL; }

    /**
     * Wraps memory owned elsewhere (a mapped file, a heap array). {@code owner} is kept reachable for as
     * long as this storage is, so the mapping outlives every tensor that views it.
     */
    public static HostStorage wrap(MemorySegment segment, Object owner) {
        return new HostStorage(segment, owner, -1);
    }

    public MemorySegment segment() { return segment; }

    @Override
    public Device device() { return Device.CPU; }

    @Override
    public long byteSize() { return segment.byteSize(); }

    Object owner() { return owner; }
}
