package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW steps (torch.optim.AdamW) against the reference composition on the CPU: several steps, weight decay, views. */
public abstract class AdamWCases {
    private final Target t;
    private final Backend dev, cpu;

    protected AdamWCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void stepsEvolveLikeTheReference(DType dt) {
        for (double wd : new double[]{0.1, 0}) {
            AdamWConfig config = new AdamWConfig(1e-2, 0.9, 0.999, 1e-8, wd);
            // param and moments as contiguous views at an offset into larger buffers (flat parameter storage)
            Tensor p = random(100, dt, 1037), m = Tensor.zeros(dt, 1001), v = Tensor.zeros(dt, 1001);
            Tensor pc = p.narrow(0, 5, 1001), pd = t.put(p).narrow(0, 5, 1001), md = dev.allocate(dt, 1001), vd = dev.allocate(dt, 1001);
            for (int step = 1; step <= 5; step++) {
                Tensor g = random(200 + step, dt, 1001);
                FusedReference.adamwStep(cpu, pc, g, m, v, config, step);
                dev.adamwStep(pd, t.put(g), md, vd, config, step);
                String what = "adamw " + dt + " wd=" + wd + " step " + step;
                t.same(what + " param", pc, pd, Tolerance.accumulated(dt));
                t.same(what + " expAvg", m, md, Tolerance.accumulated(dt));
                t.same(what + " expAvgSq", v, vd, Tolerance.accumulated(dt));
            }
        }
    }

    @Test
    void readsAStridedBf16Gradient() {
        AdamWConfig config = new AdamWConfig(3e-3, 0.9, 0.95, 1e-8, 0.01);
        Tensor pc = random(110, DType.F32, 13, 17), mc = Tensor.zeros(DType.F32, 13, 17), vc = Tensor.zeros(DType.F32, 13, 17);
        Tensor pd = t.put(pc), md = dev.allocate(DType.F32, 13, 17), vd = dev.allocate(DType.F32, 13, 17);
        for (int step = 1; step <= 3; step++) {
            Tensor g = random(120 + step, DType.BF16, 17, 13);
            FusedReference.adamwStep(cpu, pc, g.transpose(0, 1), mc, vc, config, step);
            dev.adamwStep(pd, t.put(g).transpose(0, 1), md, vd, config, step);
        }
        t.same("adamw bf16 grad param", pc, pd, Tolerance.accumulated(DType.F32));
        t.same("adamw bf16 grad expAvg", mc, md, Tolerance.accumulated(DType.F32));
        t.same("adamw bf16 grad expAvgSq", vc, vd, Tolerance.accumulated(DType.F32));
        assertTrue(Arrays.stream(pd.toDoubleArray()).allMatch(Double::isFinite));
    }
}
