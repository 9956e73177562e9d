package io.jswift.backend.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * JCuda's handles with their raw addresses exposed, for the libraries reached with java.lang.foreign (cuBLAS takes
 * device pointers and the stream as plain addresses). JCuda keeps the address in a protected field; these
 * subclasses are the only place that reads it.
 */
final class DevicePointers {
    private DevicePointers() {}

    /** A device allocation (cuMemAlloc fills it in). */
    static final class Ptr extends CUdeviceptr {
        long address() { return getNativePointer(); }
    }

    /** A stream (cuStreamCreate fills it in). */
    static final class Stream extends CUstream {
        long address() { return getNativePointer(); }
    }
}
