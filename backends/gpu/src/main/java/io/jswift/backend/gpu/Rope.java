package io.jswift.backend.gpu;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.spi.RopeRules;

/**
 * HF rotary embedding and its transpose (rope.c). Dims: B batch, H heads, T positions, D head dim, R rotary dims.
 * x [B, H, T, D] may be a strided view (read in place); cos/sin [T, R] or [B, T, R]; the result is contiguous in
 * x's dtype, computed in float (double for F64 x), with the tables rounded to that type first as the CPU backend does.
 */
final class Rope {
    private final GpuDevice dev;

    Rope(GpuDevice dev) { this.dev = dev; }

    Tensor apply(Tensor x, Tensor cos, Tensor sin, boolean transpose) {
        RopeRules.check(x, cos, sin);
        int b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3), r = cos.size(-1);
        dev.storage(x);
        Tensor c = GpuTensors.dense(dev, cos), s = GpuTensors.dense(dev, sin);
        Tensor y = GpuTensors.empty(dev, x.dtype(), x.shape());
        long total = (long) b * h * t * (d - r / 2);
        ProgramSource src = KernelSource.of("rope.c").real("REAL", FusedRules.computeType(x))
                .type("X", x.dtype()).type("C", c.dtype()).type("S", s.dtype()).build();
        Launches.elements(dev, src, "rope", total, x, x.offset(), x.stride(0), x.stride(1), x.stride(2), x.stride(3),
                c, s, y, h, t, d, r, cos.rank() == 3 ? 1 : 0, transpose ? 1 : 0, total);
        return y;
    }
}
