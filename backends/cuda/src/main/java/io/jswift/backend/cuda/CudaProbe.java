package io.jswift.backend.cuda;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Whether the CUDA backend can run here, decided from what {@link CudaRuntime} found — a pure function, so each
 * unavailability reason is tested without a GPU. The checks in order: the driver library (libcuda.so.1), cuInit,
 * a device, kernels in the jar (a build with nvcc), a driver new enough for their PTX, and devices able to run
 * them (compute capability 8.0: bf16 tensor cores).
 */
final class CudaProbe {
    /** One CUDA device as cuDeviceGet* report it; capability 90 is sm_90. */
    record Gpu(int ordinal, String name, int computeCapability, long memoryBytes) {
        String describe() { return name + " (sm_" + computeCapability + ", " + (memoryBytes >> 20) + " MiB)"; }
    }

    /**
     * What a probe found.
     *
     * @param libraryError  why libcuda.so.1 could not be loaded, or null
     * @param initError     cuInit's error name (e.g. CUDA_ERROR_NO_DEVICE), or null when it succeeded
     * @param driverVersion cuDriverGetVersion (13000 for CUDA 13.0), 0 when unknown
     * @param gpus          every device, usable or not
     * @param ptx           the kernels built into the jar, or null when it was built without nvcc
     */
    record Facts(String libraryError, String initError, int driverVersion, List<Gpu> gpus, PtxManifest ptx) {}

    /** The devices the backend serves ({@code cuda:N} is the N-th of these), or why none. */
    record Result(List<Gpu> usable, String reason, int driverVersion) {
        boolean available() { return reason == null; }
    }

    private CudaProbe() {}

    static Result decide(Facts f) {
        if (f.libraryError() != null) {
            return none("libcuda.so.1 not loadable: no NVIDIA driver on this machine (" + f.libraryError() + ")", f);
        }
        if (f.initError() != null) {
            String hint = f.initError().equals("CUDA_ERROR_NO_DEVICE") ? " (no CUDA device visible: check nvidia-smi and CUDA_VISIBLE_DEVICES)"
                    : f.initError().equals("CUDA_ERROR_INSUFFICIENT_DRIVER") ? " (the kernel driver is older than its libcuda.so.1)" : "";
            return none("cuInit failed: " + f.initError() + hint, f);
        }
        if (f.gpus().isEmpty()) return none("no CUDA device (cuDeviceGetCount = 0)", f);
        PtxManifest ptx = f.ptx();
        if (ptx == null) {
            return none("built without nvcc: jswift's CUDA kernels are compiled to PTX at build time; rebuild where nvcc "
                    + "is installed (CUDA_HOME, /usr/local/cuda or PATH)", f);
        }
        if (f.driverVersion() < ptx.minDriverVersion()) {
            return none("driver too old for the PTX: the driver supports " + PtxManifest.cudaVersion(f.driverVersion())
                    + ", the kernels were built by nvcc " + ptx.nvcc() + " (PTX ISA " + ptx.ptxIsa() + ") and need a driver for "
                    + PtxManifest.cudaVersion(ptx.minDriverVersion()) + " or newer", f);
        }
        List<Gpu> usable = f.gpus().stream().filter(g -> g.computeCapability() >= ptx.minComputeCapability()).toList();
        if (usable.isEmpty()) {
            return none("no device of compute capability " + ptx.minComputeCapability() / 10 + "." + ptx.minComputeCapability() % 10
                    + " or newer (the kernels are PTX for " + ptx.arch() + ", bf16 tensor cores); found "
                    + f.gpus().stream().map(Gpu::describe).collect(Collectors.joining(", ")), f);
        }
        return new Result(usable, null, f.driverVersion());
    }

    private static Result none(String reason, Facts f) {
        return new Result(List.of(), reason, f.driverVersion());
    }
}
