package io.jswift.backend.cuda;

import io.jswift.backend.conformance.BackendConformance;

/**
 * The backend conformance suite on cuda:0 against the CPU: GpuBackend's portable kernels through NVRTC/prebuilt PTX
 * and the CUDA fast paths (cuBLAS GEMM, tensor-core flash attention, fused AdamW) where a case reaches them.
 * Skipped with the backend's reason without a usable GPU (failed instead with -Djswift.test.device.required=true,
 * as bench/gpu/check.sh runs it).
 */
class CudaConformanceTest extends BackendConformance {
    CudaConformanceTest() { super("cuda"); }
}
