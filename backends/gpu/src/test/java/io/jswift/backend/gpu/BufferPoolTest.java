package io.jswift.backend.gpu;

import io.jswift.tensor.Device;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BufferPoolTest {
    /** A driver with {@code capacity} bytes of pretend memory: allocate and free only. */
    private static final class FakeDriver implements Driver {
        final long capacity;
        long used;
        int allocations;
        final List<DeviceBuffer> freed = new ArrayList<>();

        FakeDriver(long capacity) { this.capacity = capacity; }

        record Buf(long byteSize) implements DeviceBuffer {}

        @Override public DeviceInfo info() { return new DeviceInfo(new Device("fake", 0), "fake", "fake", capacity, 0, 256, 1, true); }
        @Override public String prelude() { return ""; }
        @Override public DeviceBuffer allocate(long bytes) {
            if (used + bytes > capacity) throw new DeviceOutOfMemoryException("full", null);
            used += bytes;
            allocations++;
            return new Buf(bytes);
        }
        @Override public void free(DeviceBuffer b) { used -= b.byteSize(); freed.add(b); }
        @Override public void copyFromHost(MemorySegment src, DeviceBuffer dst, long dstOffset) {}
        @Override public void copyToHost(DeviceBuffer src, long srcOffset, MemorySegment dst) {}
        @Override public void copy(DeviceBuffer src, long so, DeviceBuffer dst, long d, long bytes) {}
        @Override public void fill(DeviceBuffer dst, long offset, long bytes, byte value) {}
        @Override public Program compile(ProgramSource source) { return source::name; }
        @Override public void launch(Program p, String k, Dim3 g, Dim3 b, KernelArg... args) {}
        @Override public Event record() { return new Event() {}; }
        @Override public double elapsedMillis(Event a, Event b) { return 0; }
        @Override public void synchronize() {}
        @Override public void close() {}
    }

    @Test
    void sizeClassesArePowersOfTwoThenTwoMiBSteps() {
        assertEquals(256, BufferPool.sizeClass(1));
        assertEquals(256, BufferPool.sizeClass(256));
        assertEquals(512, BufferPool.sizeClass(257));
        assertEquals(4L << 20, BufferPool.sizeClass((4L << 20) - 5));
        assertEquals(6L << 20, BufferPool.sizeClass((4L << 20) + 1));
    }

    @Test
    void aReturnedBufferIsReusedWithoutTheDriver() {
        FakeDriver d = new FakeDriver(1 << 20);
        BufferPool pool = new BufferPool(d);
        DeviceBuffer a = pool.take(1000);
        pool.give(a);
        assertEquals(1024, pool.cachedBytes());
        assertSame(a, pool.take(900), "same size class: the cached buffer");
        assertEquals(1, d.allocations);
        assertEquals(0, pool.cachedBytes());
        assertEquals(1024, pool.liveBytes());
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetries() {
        FakeDriver d = new FakeDriver(4096);
        BufferPool pool = new BufferPool(d);
        DeviceBuffer small = pool.take(2048);
        pool.give(small); // cached: the driver still counts it as used
        DeviceBuffer big = pool.take(4096);
        assertEquals(4096, big.byteSize());
        assertEquals(List.of(small), d.freed, "the cached buffer went back to the driver to make room");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.take(256));
        assertTrue(e.getMessage().contains("out of memory on fake:0"), e.getMessage());
    }
}
