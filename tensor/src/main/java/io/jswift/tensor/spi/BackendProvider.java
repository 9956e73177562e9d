package io.jswift.tensor.spi;

/**
 * ServiceLoader entry point of a backend ({@code META-INF/services/io.jswift.tensor.spi.BackendProvider}).
 * Implementations must load without touching native runtimes: probing happens in {@link #availability()}.
 */
public interface BackendProvider {
    /** The device type this provider serves: {@code cpu}, {@code opencl}, {@code cuda}, {@code tornado}. */
    String type();

    /** Probes the runtime; never throws. */
    Availability availability();

    /** Opens device {@code index}; called once per device. */
    Backend open(int index);

    /** Whether the runtime is usable, how many devices it has, and why not when it is not. */
    record Availability(boolean available, int deviceCount, String reason) {
        public static Availability of(int deviceCount, String description) {
            return new Availability(true, deviceCount, description);
        }

        public static Availability unavailable(String reason) {
            return new Availability(false, 0, reason);
        }
    }
}
