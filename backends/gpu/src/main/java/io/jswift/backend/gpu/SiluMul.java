package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.FusedRules;

/** SwiGLU silu(gate)·up and its backward (silu_mul.c), elementwise over dense copies of the operands. */
final class SiluMul {
    private final GpuDevice dev;

    SiluMul(GpuDevice dev) { this.dev = dev; }

    Tensor forward(Tensor gate, Tensor up) {
        DType out = FusedRules.checkSiluMul("siluMul", gate, up, null);
        Tensor g = GpuTensors.dense(dev, gate), u = GpuTensors.dense(dev, up);
        Tensor y = GpuTensors.empty(dev, out, gate.shape());
        ProgramSource src = KernelSource.of("silu_mul.c").real("REAL", FusedRules.computeType(gate, up))
                .type("G", g.dtype()).type("U", u.dtype()).type("Y", out).build();
        Launches.elements(dev, src, "silu_mul_forward", y.numel(), g, u, y, y.numel());
        return y;
    }

    FusedResults.SiluMulGrads backward(Tensor dy, Tensor gate, Tensor up) {
        FusedRules.checkSiluMul("siluMulBackward", gate, up, dy);
        Tensor d = GpuTensors.dense(dev, dy), g = GpuTensors.dense(dev, gate), u = GpuTensors.dense(dev, up);
        Tensor dg = GpuTensors.empty(dev, gate.dtype(), gate.shape()), du = GpuTensors.empty(dev, up.dtype(), up.shape());
        ProgramSource src = KernelSource.of("silu_mul.c").real("REAL", FusedRules.computeType(dy, gate, up))
                .type("DY", d.dtype()).type("G", g.dtype()).type("U", u.dtype()).type("DG", dg.dtype()).type("DU", du.dtype()).build();
        Launches.elements(dev, src, "silu_mul_backward", dg.numel(), d, g, u, dg, du, dg.numel());
        return new FusedResults.SiluMulGrads(dg, du);
    }
}
