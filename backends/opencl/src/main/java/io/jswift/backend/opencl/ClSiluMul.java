package io.jswift.backend.opencl;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

/**
 * SwiGLU silu(gate)·up and its backward on the device (silu_mul.cl), elementwise over equal shapes. Strided inputs
 * (halves of a fused gate_up projection) are copied contiguous first. Dtypes as the CPU backend: y takes
 * promote(gate, up), dGate / dUp the dtype of gate / up; float arithmetic, double when an operand is F64.
 */
final class ClSiluMul {
    private final ClContext ctx;

    ClSiluMul(ClContext ctx) { this.ctx = ctx; }

    Tensor forward(Tensor gate, Tensor up) {
        DType out = FusedRules.checkSiluMul("siluMul", gate, up, null);
        Tensor g = ClTensors.dense(ctx, gate), u = ClTensors.dense(ctx, up);
        Tensor y = ClTensors.allocate(ctx, out, gate.shape());
        String src = ClSource.of("silu_mul.cl").real("REAL", ClRows.real(gate, up))
                .type("G", g.dtype()).type("U", u.dtype()).type("Y", out).text();
        ClRows.run1d(ctx, src, "silu_mul_forward", y.numel(), g, u, y, y.numel());
        return y;
    }

    FusedResults.SiluMulGrads backward(Tensor dy, Tensor gate, Tensor up) {
        FusedRules.checkSiluMul("siluMulBackward", gate, up, dy);
        Tensor d = ClTensors.dense(ctx, dy), g = ClTensors.dense(ctx, gate), u = ClTensors.dense(ctx, up);
        Tensor dg = ClTensors.allocate(ctx, gate.dtype(), gate.shape()), du = ClTensors.allocate(ctx, up.dtype(), up.shape());
        String src = ClSource.of("silu_mul.cl").real("REAL", ClRows.real(dy, gate, up))
                .type("DY", d.dtype()).type("G", g.dtype()).type("U", u.dtype()).type("DG", dg.dtype()).type("DU", du.dtype()).text();
        ClRows.run1d(ctx, src, "silu_mul_backward", dg.numel(), d, g, u, dg, du, dg.numel());
        return new FusedResults.SiluMulGrads(dg, du);
    }
}
