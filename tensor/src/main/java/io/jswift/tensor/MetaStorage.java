package io.jswift.tensor;

/**
 * Storage with a shape but no bytes (PyTorch's "meta" device): models are built on it and then
 * receive their real weights from a checkpoint, so a 1B-parameter model is never randomly initialized
 * just to be overwritten. Computing with a meta tensor fails with a message saying so.
 */
public record MetaStorage(long byteSize) implements Storage {
    public static final Device DEVICE = new Device("meta", 0);

    @Override
    public Device device() { return DEVICE; }
}
