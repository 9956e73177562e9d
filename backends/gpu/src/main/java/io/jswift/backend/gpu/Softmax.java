package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedRules;

/** Softmax and log-softmax over the last dim, forward and backward (softmax.c): one block per row. */
final class Softmax {
    private final GpuDevice dev;

    Softmax(GpuDevice dev) { this.dev = dev; }

    Tensor forward(Tensor x, boolean log) {
        FusedRules.checkSoftmax(log ? "logSoftmax" : "softmax", x);
        int v = x.size(-1), n = FusedRules.rows(x), group = Launches.rowGroup(dev, v);
        DType real = FusedRules.computeType(x);
        Tensor xd = GpuTensors.dense(dev, x), y = GpuTensors.empty(dev, x.dtype(), x.shape());
        ProgramSource src = KernelSource.of("softmax.c").include("rows.c").real("REAL", real).define("GROUP", group)
                .type("X", x.dtype()).type("Y", x.dtype()).build();
        Launches.rows(dev, src, "softmax_forward", n, group, xd, y, v, log ? 1 : 0);
        return y;
    }

    Tensor backward(Tensor dy, Tensor y, boolean log) {
        DType out = FusedRules.checkSoftmaxBackward(log ? "logSoftmaxBackward" : "softmaxBackward", dy, y);
        int v = y.size(-1), n = FusedRules.rows(y), group = Launches.rowGroup(dev, v);
        DType real = FusedRules.computeType(dy, y);
        Tensor dyd = GpuTensors.dense(dev, dy), yd = GpuTensors.dense(dev, y), dx = GpuTensors.empty(dev, out, y.shape());
        ProgramSource src = KernelSource.of("softmax.c").include("rows.c").real("REAL", real).define("GROUP", group)
                .type("DY", dy.dtype()).type("Y", y.dtype()).type("DX", out).build();
        Launches.rows(dev, src, "softmax_backward", n, group, dyd, yd, dx, v, log ? 1 : 0);
        return dx;
    }
}
