package io.jswift.backend.opencl;

import io.jswift.tensor.spi.RopeRules;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * HF rotary embedding and its transpose on the device (rope.cl). Dims: B batch, H heads, T positions, D head dim,
 * R rotary dims. x [B, H, T, D] may be a strided view (read in place); cos/sin [T, R] or [B, T, R]; the result is
 * contiguous in x's dtype, computed in float (double for F64 x), with the tables rounded to that type first as the
 * CPU backend does.
 */
final class ClRope {
    private final ClContext ctx;

    ClRope(ClContext ctx) { this.ctx = ctx; }

    Tensor apply(Tensor x, Tensor cos, Tensor sin, boolean transpose) {
        RopeRules.check(x, cos, sin);
        int b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3), r = cos.size(-1);
        ClTensors.storage(ctx, x);
        Tensor c = ClTensors.dense(ctx, cos), s = ClTensors.dense(ctx, sin);
        Tensor y = ClTensors.allocate(ctx, x.dtype(), x.shape());
        long total = (long) b * h * t * (d - r / 2);
        String src = ClSource.of("rope.cl").real("REAL", ClRows.real(x))
                .type("X", x.dtype()).type("C", c.dtype()).type("S", s.dtype()).text();
        ClRows.run1d(ctx, src, "rope", total, x, x.offset(), x.stride(0), x.stride(1), x.stride(2), x.stride(3),
                c, s, y, h, t, d, r, cos.rank() == 3 ? 1 : 0, transpose ? 1 : 0, total);
        return y;
    }
}
