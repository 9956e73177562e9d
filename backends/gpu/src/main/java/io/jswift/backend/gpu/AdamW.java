package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.FusedRules;

/** One in-place AdamW step (adamw.c), torch.optim.AdamW's single-tensor update; the bias corrections are computed here in double. */
final class AdamW {
    private final GpuDevice dev;

    AdamW(GpuDevice dev) { this.dev = dev; }

    void step(Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig c, long step) {
        FusedRules.checkAdamW(p, g, m, v, step);
        String[] names = {"param", "grad", "expAvg", "expAvgSq"};
        Tensor[] ts = {p, g, m, v};
        for (int i = 0; i < ts.length; i++) {
            dev.storage(ts[i]);
            // the kernel updates param and the moments as flat arrays
            if (i != 1 && !ts[i].isContiguous()) {
                throw new IllegalArgumentException("adamwStep: " + names[i] + " must be contiguous (it is updated in place)");
            }
        }
        DType real = FusedRules.computeType(p, g, m, v);
        Tensor gd = GpuTensors.dense(dev, g);
        double bc1 = 1 - Math.pow(c.beta1(), step), bc2 = 1 - Math.pow(c.beta2(), step);
        ProgramSource src = KernelSource.of("adamw.c").real("REAL", real)
                .type("P", p.dtype()).type("G", gd.dtype()).type("M", m.dtype()).type("V", v.dtype()).build();
        long n = p.numel();
        Launches.elements(dev, src, "adamw_step", n, p, p.offset(), gd, m, m.offset(), v, v.offset(),
                GpuTensors.scalar(real, 1 - c.lr() * c.weightDecay()), GpuTensors.scalar(real, c.beta1()),
                GpuTensors.scalar(real, c.beta2()), GpuTensors.scalar(real, c.eps()), GpuTensors.scalar(real, c.lr() / bc1),
                GpuTensors.scalar(real, 1 / Math.sqrt(bc2)), n);
    }
}
