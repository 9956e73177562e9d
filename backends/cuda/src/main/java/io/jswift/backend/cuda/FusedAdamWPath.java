package io.jswift.backend.cuda;

import io.jswift.backend.gpu.FastPaths;
import io.jswift.backend.gpu.GpuDevice;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;

/**
 * GpuBackend's AdamW fast path on CUDA: {@link CudaAdamW}'s vectorized kernel when param, gradient and moments are
 * contiguous with the dtypes and alignment {@link CudaAdamW#supports} names (f32 master weights and moments, an
 * f32/bf16/f16 gradient); false otherwise, and the portable kernel runs.
 */
final class FusedAdamWPath implements FastPaths.AdamW {
    private final CudaAdamW kernel;

    FusedAdamWPath(CudaDriver driver) { this.kernel = new CudaAdamW(driver); }

    @Override
    public boolean step(GpuDevice dev, Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig config, long step) {
        if (!p.isContiguous() || !g.isContiguous() || !m.isContiguous() || !v.isContiguous()) return false;
        if (!CudaAdamW.supports(p.dtype(), g.dtype(), m.dtype(), v.dtype(), p.offset(), g.offset(), m.offset(), v.offset())) return false;
        kernel.step(run(dev, p), run(dev, g), g.dtype(), run(dev, m), run(dev, v), p.numel(), config, step);
        return true;
    }

    private static CudaAdamW.Run run(GpuDevice dev, Tensor t) {
        return new CudaAdamW.Run(dev.storage(t).buffer(), t.offset());
    }
}
