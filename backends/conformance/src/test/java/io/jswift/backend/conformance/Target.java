package io.jswift.backend.conformance;

import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.testing.DeviceTesting;
import io.jswift.tensor.testing.TensorAssert;

import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The backend under test and its oracle, the CPU backend. A case builds host inputs, gives the oracle contiguous
 * copies of them ({@link #host}: on the CPU target the kernels under test then read the strided views the oracle does
 * not) and the backend fresh device copies ({@link #put}, views redone there), and compares with {@link #same}.
 */
public record Target(Backend backend, Backend cpu) {

    /** Device type {@code type}:0 against the CPU; skipped with the reason when unavailable (failed in CI for cpu/opencl). */
    public static Target open(String type) {
        return new Target(DeviceTesting.backend(type), Backends.forDevice(Device.CPU));
    }

    public Device device() { return backend.device(); }

    /** Whether the backend under test is the CPU itself (device-only checks skip then). */
    public boolean isCpu() { return device().equals(Device.CPU); }

    /** A fresh copy of host tensor {@code h} (contiguous, its own storage) on the device under test. */
    public Tensor put(Tensor h) {
        return backend.fromHost(h.copy());
    }

    /** {@code view} of a fresh device copy of {@code base}: the same view the oracle reads on the host. */
    public Tensor put(Tensor base, UnaryOperator<Tensor> view) {
        return view.apply(put(base));
    }

    /** A contiguous copy of a host view for the oracle. */
    public static Tensor host(Tensor view) {
        return view.contiguous();
    }

    /** Same dtype, shape and device (the target's); values within {@code tol} ({@link TensorAssert#assertClose}). */
    public void same(String what, Tensor expected, Tensor actual, Tolerance tol) {
        if (expected == null || actual == null) {
            assertEquals(expected == null, actual == null, what + ": one result is null");
            return;
        }
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertEquals(device(), actual.device(), what + ": result device");
        TensorAssert.assertClose(expected.toDoubleArray(), actual, tol.atol(), tol.rtol(), what + " on " + device());
    }

    /** {@link #same} with the tolerance of one rounding of the result's dtype. */
    public void same(String what, Tensor expected, Tensor actual) {
        same(what, expected, actual, Tolerance.rounding(expected == null ? DType.F32 : expected.dtype()));
    }
}
