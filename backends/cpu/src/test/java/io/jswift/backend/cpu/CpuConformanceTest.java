package io.jswift.backend.cpu;

import io.jswift.backend.conformance.BackendConformance;

/**
 * The backend conformance suite on the CPU itself: its fused kernels against the reference compositions over its
 * primitives, and its strided paths against contiguous copies.
 */
class CpuConformanceTest extends BackendConformance {
    CpuConformanceTest() { super("cpu"); }
}
