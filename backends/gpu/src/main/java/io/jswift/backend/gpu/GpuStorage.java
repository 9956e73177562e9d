package io.jswift.backend.gpu;

import io.jswift.tensor.Device;
import io.jswift.tensor.Storage;

import java.lang.ref.Cleaner;

/** A tensor's device memory: a pooled buffer that goes back to its {@link BufferPool} when the storage is unreachable. */
public final class GpuStorage implements Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final GpuDevice owner;
    private final DeviceBuffer buffer;
    private final long byteSize;

    GpuStorage(GpuDevice owner, DeviceBuffer buffer, long byteSize) {
        this.owner = owner;
        this.buffer = buffer;
        this.byteSize = byteSize;
        CLEANER.register(this, new Release(owner.pool(), buffer));
    }

    public DeviceBuffer buffer() { return buffer; }

    public GpuDevice owner() { return owner; }

    @Override
    public Device device() { return owner.device(); }

    @Override
    public long byteSize() { return byteSize; }

    private record Release(BufferPool pool, DeviceBuffer buffer) implements Runnable {
        @Override
        public void run() { pool.give(buffer); }
    }
}
