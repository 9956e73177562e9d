package io.jswift.backend.opencl;

import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OpenCL device of the tests. Without an OpenCL platform the tests skip with the reason, except in CI
 * ({@code CI=true}), where .ci/run installs PoCL and a skip would hide a broken backend: there they fail.
 */
public final class OpenClTesting {
    public static final Device DEVICE = new Device("opencl", 0);

    private OpenClTesting() {}

    /** The opencl:0 backend, or a skipped (CI: failed) test when there is none. */
    public static Backend backend() {
        BackendProvider.Availability a = new OpenClBackendProvider().availability();
        if (!a.available()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail("OpenCL tests must run in CI but: " + a.reason());
            assumeTrue(false, "OpenCL unavailable: " + a.reason());
        }
        return Backends.forDevice(DEVICE);
    }

    public static Backend cpu() { return Backends.forDevice(Device.CPU); }

    /** Asserts that a device result equals the CPU result: same dtype and shape, values within atol + rtol·|expected|. */
    public static void assertSameAsCpu(Tensor cpuResult, Tensor deviceResult, double atol, double rtol) {
        assertEquals(cpuResult.dtype(), deviceResult.dtype(), "dtype");
        assertArrayEquals(cpuResult.shape(), deviceResult.shape(), "shape");
        assertEquals(DEVICE, deviceResult.device(), "result device");
        double[] e = cpuResult.toDoubleArray(), a = deviceResult.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            boolean bothNan = Double.isNaN(e[i]) && Double.isNaN(a[i]);
            if (!bothNan && !(Math.abs(e[i] - a[i]) <= atol + rtol * Math.abs(e[i])) && e[i] != a[i]) {
                fail("element " + i + " of " + Arrays.toString(cpuResult.shape()) + ": cpu " + e[i] + ", opencl " + a[i]);
            }
        }
    }
}
