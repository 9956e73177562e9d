package io.jswift.backend.gpu;

import io.jswift.tensor.Device;

/**
 * A device as a driver reports it.
 *
 * @param device              the jswift device ({@code opencl:0}, {@code cuda:1}, ...)
 * @param api                 the API and its version, e.g. {@code OpenCL 3.0 PoCL} or {@code CUDA 13.0 (driver 580.65)}
 * @param name                the device's name
 * @param globalMemBytes      device memory
 * @param sharedMemBytes      shared (OpenCL local) memory one block may use
 * @param maxThreadsPerBlock  the most threads (work items) of one block
 * @param simdWidth           threads that run in lock step: the warp (32), a wavefront (64), or 1 when unknown
 * @param fp64                whether kernels may compute in double precision
 */
public record DeviceInfo(Device device, String api, String name, long globalMemBytes, long sharedMemBytes,
                         int maxThreadsPerBlock, int simdWidth, boolean fp64) {
    @Override
    public String toString() { return device + " (" + name + ", " + api + ")"; }
}
