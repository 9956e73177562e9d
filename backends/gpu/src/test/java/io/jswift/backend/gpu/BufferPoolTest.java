package io.jswift.backend.gpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BufferPoolTest {
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
        RecordingDriver d = new RecordingDriver(1 << 20);
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
        RecordingDriver d = new RecordingDriver(4096);
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
