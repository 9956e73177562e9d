package io.jswift.backend.gpu;

import io.jswift.tensor.Device;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A driver without a device for the tests of the device-independent layer: {@code capacity} bytes of pretend memory,
 * and a record of what the layer asked for (allocations, frees, fills, kernel launches by name). Copies and kernels
 * do nothing, so values are never checked here: the conformance suite does that on PoCL (and CUDA).
 */
final class RecordingDriver implements Driver {
    final long capacity;
    long used;
    int allocations;
    final List<DeviceBuffer> freed = new ArrayList<>();
    final List<Long> fills = new ArrayList<>();
    final List<String> launches = new ArrayList<>();

    RecordingDriver(long capacity) { this.capacity = capacity; }

    record Buf(long byteSize) implements DeviceBuffer {}

    @Override
    public DeviceInfo info() {
        return new DeviceInfo(new Device("fake", 0), "fake", "fake", capacity, 48 << 10, 1024, 32, true);
    }

    @Override public String prelude() { return ""; }

    @Override
    public synchronized DeviceBuffer allocate(long bytes) {
        if (used + bytes > capacity) throw new DeviceOutOfMemoryException("full", null);
        used += bytes;
        allocations++;
        return new Buf(bytes);
    }

    @Override
    public synchronized void free(DeviceBuffer b) {
        used -= b.byteSize();
        freed.add(b);
    }

    @Override public void copyFromHost(MemorySegment src, DeviceBuffer dst, long dstOffset) {}

    @Override public void copyToHost(DeviceBuffer src, long srcOffset, MemorySegment dst) {}

    @Override public void copy(DeviceBuffer src, long so, DeviceBuffer dst, long d, long bytes) {}

    @Override public synchronized void fill(DeviceBuffer dst, long offset, long bytes, byte value) { fills.add(bytes); }

    @Override public Program compile(ProgramSource source) { return source::name; }

    @Override public synchronized void launch(Program p, String kernel, Dim3 g, Dim3 b, KernelArg... args) { launches.add(kernel); }

    @Override public Event record() { return new Event() {}; }

    @Override public double elapsedMillis(Event a, Event b) { return 0; }

    @Override public void synchronize() {}

    @Override public void close() {}
}
