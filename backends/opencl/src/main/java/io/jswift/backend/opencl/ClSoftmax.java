package io.jswift.backend.opencl;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

/**
 * Softmax and log-softmax over the last dim, forward and backward, on the device (softmax.cl). Dtypes as the CPU
 * backend: y takes x's dtype, dx promote(dy, y); float arithmetic (double when an operand is F64).
 */
final class ClSoftmax {
    private final ClContext ctx;

    ClSoftmax(ClContext ctx) { this.ctx = ctx; }

    Tensor forward(Tensor x, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        FusedRules.checkSoftmax(op, x);
        int v = x.size(-1), n = FusedRules.rows(x);
        DType real = ClRows.real(x);
        Tensor xd = ClTensors.dense(ctx, x), y = ClTensors.allocate(ctx, x.dtype(), x.shape());
        String src = ClSource.of("softmax.cl").include("rows.cl").real("REAL", real)
                .type("X", x.dtype()).type("Y", x.dtype()).text();
        ClRows.run(ctx, src, "softmax_forward", n, v, real, 2, xd, y, v, log ? 1 : 0);
        return y;
    }

    Tensor backward(Tensor dy, Tensor y, boolean log) {
        String op = log ? "logSoftmaxBackward" : "softmaxBackward";
        DType out = FusedRules.checkSoftmaxBackward(op, dy, y);
        int v = y.size(-1), n = FusedRules.rows(y);
        DType real = ClRows.real(dy, y);
        Tensor dyd = ClTensors.dense(ctx, dy), yd = ClTensors.dense(ctx, y), dx = ClTensors.allocate(ctx, out, y.shape());
        String src = ClSource.of("softmax.cl").include("rows.cl").real("REAL", real)
                .type("DY", dy.dtype()).type("Y", y.dtype()).type("DX", out).text();
        ClRows.run(ctx, src, "softmax_backward", n, v, real, 1, dyd, yd, dx, v, log ? 1 : 0);
        return dx;
    }
}
