package io.jswift.backend.opencl;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;

/**
 * One fused in-place AdamW update on the device (adamw.cl), torch.optim.AdamW's formula with the bias corrections
 * computed in double on the host as PyTorch does. param, expAvg and expAvgSq are contiguous (offsets allowed) and
 * updated in place; grad of any floating dtype and layout is read as a contiguous copy. Float arithmetic, double
 * when an operand is F64.
 */
final class ClAdamW {
    private final ClContext ctx;

    ClAdamW(ClContext ctx) { this.ctx = ctx; }

    void step(Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig c, long step) {
        check(p, g, m, v, step);
        DType real = ClRows.real(p, g, m, v);
        Tensor gd = ClTensors.dense(ctx, g);
        double bc1 = 1 - Math.pow(c.beta1(), step), bc2 = 1 - Math.pow(c.beta2(), step);
        String src = ClSource.of("adamw.cl").real("REAL", real)
                .type("P", p.dtype()).type("G", gd.dtype()).type("M", m.dtype()).type("V", v.dtype()).text();
        long n = p.numel();
        ClRows.run1d(ctx, src, "adamw_step", n, p, p.offset(), gd, m, m.offset(), v, v.offset(),
                ClRows.scalar(real, 1 - c.lr() * c.weightDecay()), ClRows.scalar(real, c.beta1()), ClRows.scalar(real, c.beta2()),
                ClRows.scalar(real, c.eps()), ClRows.scalar(real, c.lr() / bc1), ClRows.scalar(real, 1 / Math.sqrt(bc2)), n);
    }

    private void check(Tensor p, Tensor g, Tensor m, Tensor v, long step) {
        FusedRules.checkAdamW(p, g, m, v, step);
        String[] names = {"param", "grad", "expAvg", "expAvgSq"};
        Tensor[] ts = {p, g, m, v};
        for (int i = 0; i < ts.length; i++) {
            ClTensors.storage(ctx, ts[i]);
            // the kernel updates param and the moments as flat arrays
            if (i != 1 && !ts[i].isContiguous()) {
                throw new IllegalArgumentException("adamwStep: " + names[i] + " must be contiguous (it is updated in place)");
            }
        }
    }
}
