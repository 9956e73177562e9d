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
        String reason = "the OpenCL backend (jswift-backend-opencl) is not on the class path";
        for (BackendProvider p : Backends.providers()) {
            if (!p.type().equals(OPENCL.type())) continue;
            BackendProvider.Availability a = p.availability();
            if (a.available()) return OPENCL;
            reason = a.reason();
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail("OpenCL tests must run in CI but: " + reason);
        assumeTrue(false, "OpenCL unavailable: " + reason);
        throw new AssertionError("unreachable");
    }
}
