package io.jswift.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/** Storage in host memory: an off-heap allocation, or a borrowed segment such as an mmapped file region. */
public final class HostStorage implements Storage {
    private final MemorySegment segment;
    private Cleaner.Cleanable cleanable; // null for borrowed segments
    private final Object owner; // keeps the owner of a borrowed segment (e.g. a mapped file) reachable

    private HostStorage(MemorySegment segment, Object owner) {
        this.segment = segment;
        this.owner = owner;
    }

    /** Allocates {@code bytes} zero-filled bytes, freed when unreachable or on {@link #release()}. */
    public static HostStorage allocate(long bytes) {
        HostMemory.Allocation a = HostMemory.allocate(bytes);
        HostStorage s = new HostStorage(a.segment(), null);
        s.cleanable = HostMemory.CLEANER.register(s, a.freer());
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

    /** Frees the memory now. Every tensor viewing this storage becomes unusable (access throws). */
    public void release() {
        if (cleanable != null) cleanable.clean();
    }

    Object owner() { return owner; }
}
