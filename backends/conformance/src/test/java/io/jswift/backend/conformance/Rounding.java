package io.jswift.backend.conformance;

import io.jswift.tensor.Tensor;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks that 16-bit results were rounded at the same points as the oracle's. */
final class Rounding {
    private Rounding() {}

    /**
     * 16-bit results rounded once from nearly equal values agree exactly but for rare ties; a missing or extra
     * intermediate rounding (HF's cast of the normalized value before the weight multiply) changes a large share of them.
     */
    static void mostlyExact(String what, Tensor expected, Tensor actual) {
        double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
        long exact = IntStream.range(0, e.length).filter(i -> e[i] == a[i]).count();
        assertTrue(exact >= 0.99 * e.length, what + ": " + exact + " of " + e.length + " values equal the oracle's");
    }
}
