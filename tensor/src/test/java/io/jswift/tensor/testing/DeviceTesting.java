package io.jswift.tensor.testing;

import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;
import io.jswift.tensor.spi.BackendProvider;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OpenCL device for tests above the backends (modules, optimizers, the CLI), found through ServiceLoader as
 * the program finds it. Without an OpenCL platform (or without the backend on the test class path) the test is
 * skipped with the reason, except in CI ({@code CI=true}), where .ci/run installs PoCL and a skip would hide a
 * broken backend: there it fails (the rule of backends/opencl's OpenClTesting).
 */
public final class DeviceTesting {
    public static final Device OPENCL = new Device("opencl", 0);

    private DeviceTesting() {}

    /** opencl:0, or a skipped (CI: failed) test when it is unavailable. */
    public static Device openCl() {
        String reason = unavailable(OPENCL);
        if (reason == null) return OPENCL;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail("OpenCL tests must run in CI but: " + reason);
        assumeTrue(false, "OpenCL unavailable: " + reason);
        throw new AssertionError("unreachable");
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
        if (reason == null) return d;
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
