package io.jswift.backend.cuda;

import io.jswift.backend.gpu.FastPaths;
import io.jswift.backend.gpu.GpuBackend;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BackendProvider;

import java.util.stream.Collectors;

/**
 * Registers the CUDA backend: device {@code cuda:N} is the N-th usable CUDA device (compute capability 8.0 or
 * newer), run by {@link GpuBackend} over a {@link CudaDriver} with CUDA's fast paths (cuBLAS GEMM, tensor-core
 * flash attention, fused AdamW) tried before the portable kernels. Without a usable device it reports why (see
 * {@link CudaProbe}) and opening fails with that reason.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String type() { return "cuda"; }

    @Override
    public Availability availability() {
        CudaProbe.Result p = CudaRuntime.probe();
        if (!p.available()) return Availability.unavailable(p.reason());
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < p.usable().size(); i++) {
            if (i > 0) s.append("; ");
            s.append("cuda:").append(i).append(" = ").append(p.usable().get(i).describe());
        }
        s.append("; driver ").append(PtxManifest.cudaVersion(p.driverVersion())).append(", cuBLAS: ").append(Cublas.status());
        return Availability.of(p.usable().size(), s.toString());
    }

    @Override
    public Backend open(int index) {
        CudaProbe.Result p = CudaRuntime.probe();
        if (!p.available()) throw new IllegalStateException("cuda backend unavailable: " + p.reason());
        if (index >= p.usable().size()) {
            throw new IllegalArgumentException("no device cuda:" + index + ": found "
                    + p.usable().stream().map(CudaProbe.Gpu::describe).collect(Collectors.joining(", ")));
        }
        CudaDriver driver = new CudaDriver(index, p.usable().get(index), p.driverVersion(), PtxManifest.load());
        return new GpuBackend(driver, fastPaths(driver));
    }

    /** cuBLAS GEMM, tensor-core flash attention and the fused AdamW before the portable kernels. */
    static FastPaths fastPaths(CudaDriver driver) {
        return new FastPaths(new CublasMatmul(driver), new FlashAttentionPath(driver), new FusedAdamWPath(driver));
    }
}
