package io.jswift.backend.opencl;

import io.jswift.backend.conformance.BackendConformance;

/** The backend conformance suite on opencl:0 (PoCL in CI, where it must not skip). */
class OpenClConformanceTest extends BackendConformance {
    OpenClConformanceTest() { super("opencl"); }
}
