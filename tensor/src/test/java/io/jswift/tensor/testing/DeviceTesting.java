package io.jswift.tensor.testing;

import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Devices for tests, found through ServiceLoader as the program finds them. A device whose runtime is missing (or
 * whose backend is not on the test class path) skips the test with the reason, except in CI ({@code CI=true}) for the
 * device types CI provides ({@code .ci/run} installs PoCL; the CPU backend needs nothing): there a skip would hide a
 * broken backend, so the test fails. CUDA is not among them: CI machines have no GPU.
 */
public final class DeviceTesting {
    public static final Device OPENCL = new Device("opencl", 0);

    /** Device types that must run in CI. */
    private static final Set<String> REQUIRED_IN_CI = Set.of("cpu", "opencl");

    private DeviceTesting() {}

    /** opencl:0, or a skipped (CI: failed) test when it is unavailable. */
    public static Device openCl() {
        return device(OPENCL.type());
    }

    /**
     * {@code type}:0, or a skipped test when it is unavailable (failed instead in CI for the types CI provides, and
     * with {@code -Djswift.test.device.required=true}, as bench/gpu/check.sh runs the cuda suite).
     */
    public static Device device(String type) {
        Device d = new Device(type, 0);
        String reason = unavailable(d);
        if (reason == null) return d;
        if (REQUIRED_IN_CI.contains(type) && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(type + " tests must run in CI but: " + reason);
        }
        return skipOrFail(d, reason);
    }

    /** The backend of {@link #device}. */
    public static Backend backend(String type) {
        return Backends.forDevice(device(type));
    }

    /**
     * The device the device tests compare with the cpu: {@code -Djswift.test.device=cuda:0} (bench/gpu/check.sh), else
     * opencl:0 with {@link #openCl()}'s rule. A named device that is unavailable skips the test with the backend's
     * reason, or fails it with {@code -Djswift.test.device.required=true} (a GPU check must not pass by skipping).
     */
    public static Device accelerator() {
        String spec = System.getProperty("jswift.test.device");
        if (spec == null || spec.isBlank()) return openCl();
        Device d = Device.parse(spec);
        String reason = unavailable(d);
        return reason == null ? d : skipOrFail(d, reason);
    }

    /** Fails with -Djswift.test.device.required=true (a GPU check must not pass by skipping), else skips; never returns. */
    private static Device skipOrFail(Device d, String reason) {
        if (Boolean.getBoolean("jswift.test.device.required")) fail(d + " must be tested but: " + reason);
        assumeTrue(false, d + " unavailable: " + reason);
        throw new AssertionError("unreachable");
    }

    /** Why {@code device} cannot be opened, or null when it can. */
    private static String unavailable(Device device) {
        for (BackendProvider p : Backends.providers()) {
            if (!p.type().equals(device.type())) continue;
            BackendProvider.Availability a = p.availability();
            if (!a.available()) return a.reason();
            return device.index() < a.deviceCount() ? null : "the " + device.type() + " backend has " + a.deviceCount() + " device(s)";
        }
        return "the " + device.type() + " backend (jswift-backend-" + device.type() + ") is not on the class path";
    }
}
