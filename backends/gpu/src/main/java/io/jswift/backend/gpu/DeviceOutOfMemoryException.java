package io.jswift.backend.gpu;

/** Thrown by {@link Driver#allocate} when the device has no room for the buffer (the caller may free some and retry). */
public final class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(String message, Throwable cause) { super(message, cause); }
}
