package io.jswift.backend.opencl;

import io.jswift.tensor.Device;
import io.jswift.tensor.Storage;
import org.jocl.CL;
import org.jocl.cl_mem;

import java.lang.ref.Cleaner;

/**
 * A device buffer. Freed (clReleaseMemObject) when the storage becomes unreachable, like host storage; the
 * context counts live bytes so an allocation that fails can collect garbage and retry.
 */
final class ClStorage implements Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final ClContext context;
    private final cl_mem mem;
    private final long byteSize;

    ClStorage(ClContext context, cl_mem mem, long byteSize) {
        this.context = context;
        this.mem = mem;
        this.byteSize = byteSize;
        CLEANER.register(this, new Release(context, mem, byteSize));
    }

    cl_mem mem() { return mem; }

    ClContext context() { return context; }

    @Override
    public Device device() { return context.device(); }

    @Override
    public long byteSize() { return byteSize; }

    private record Release(ClContext context, cl_mem mem, long bytes) implements Runnable {
        @Override
        public void run() {
            CL.clReleaseMemObject(mem);
            context.released(bytes);
        }
    }
}
