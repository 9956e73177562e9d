package io.jswift.backend.gpu;

/**
 * A driver's device memory: an OpenCL {@code cl_mem}, a CUDA device pointer. Only the driver that allocated it
 * looks inside; the backend passes it back to that driver ({@link KernelArg.Buf}, copies, {@link Driver#free}).
 */
public interface DeviceBuffer {
    /** The size asked for at allocation. */
    long byteSize();
}
