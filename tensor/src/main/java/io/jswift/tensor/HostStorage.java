package io.jswift.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Storage in host memory: an off-heap allocation (freed by the garbage collector when unreachable, see
 * {@link HostMemory}) or a borrowed segment such as an mmapped file region.
 */
public final class HostStorage implements Storage {
    private MemorySegment segment;
    private final Object owner; // keeps the owner of a borrowed segment (e.g. a mapped file) reachable

    private HostStorage(MemorySegment segment, Object owner) {
        this.segment = segment;
        this.owner = owner;
    }

    /** Allocates {@code bytes} zero-filled off-heap bytes (see {@link HostMemory}). */
    public static HostStorage allocate(long bytes) {
        HostStorage s = new HostStorage(null, null);
        s.segment = HostMemory.allocate(bytes, s);
        return s;
    }

    /**
     * Wraps memory owned elsewhere (a mapped file, a heap array). {@code owner} is kept reachable for as
     * long as this storage is, so the mapping outlives every tensor that views it.
     */
    public static HostStorage wrap(MemorySegment segment, Object owner) {
        return new HostStorage(segment, owner);
    }

    public MemorySegment segment() { return segment; }

    @Override
    public Device device() { return Device.CPU; }

    @Override
    public long byteSize() { return segment.byteSize(); }

    Object owner() { return owner; }
}
