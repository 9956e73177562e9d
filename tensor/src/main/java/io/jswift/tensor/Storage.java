package io.jswift.tensor;

/**
 * The bytes behind one or more tensors. Host storage is a {@link java.lang.foreign.MemorySegment}
 * ({@link HostStorage}); device backends implement this with their own buffer handles.
 */
public interface Storage {
    Device device();

    long byteSize();
}
