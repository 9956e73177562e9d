package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.CrossEntropyRules;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.FusedRules;

/**
 * Cross-entropy of logits [N, V] against integer targets [N] (cross_entropy.c), reduction 'none', checked and typed
 * by {@link CrossEntropyRules}. Targets are checked on the device; a target outside [0, V) fails with its row and
 * value (reading the flag back waits for the kernel).
 */
final class CrossEntropy {
    private final GpuDevice dev;

    CrossEntropy(GpuDevice dev) { this.dev = dev; }

    FusedResults.CrossEntropy forward(Tensor logits, Tensor targets, long ignoreIndex) {
        CrossEntropyRules.check(logits, targets);
        int n = logits.size(0), v = logits.size(1), group = Launches.rowGroup(dev, v);
        DType real = CrossEntropyRules.statsType(logits);
        Tensor x = GpuTensors.dense(dev, logits), t = GpuTensors.dense(dev, targets);
        Tensor losses = GpuTensors.empty(dev, real, n), lse = GpuTensors.empty(dev, real, n);
        Tensor badRow = badRowFlag(n);
        ProgramSource src = KernelSource.of("cross_entropy.c").include("rows.c").real("REAL", real).define("GROUP", group)
                .type("X", x.dtype()).type("T", t.dtype()).type("S", real).build();
        Launches.rows(dev, src, "cross_entropy_forward", n, group, x, t, losses, lse, badRow, v, ignoreIndex);
        checkTargets(badRow, targets, ignoreIndex, n, v);
        return new FusedResults.CrossEntropy(losses, lse);
    }

    Tensor backward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        CrossEntropyRules.checkBackward(dLosses, logits, targets, lse);
        int n = logits.size(0), v = logits.size(1);
        Tensor dl = GpuTensors.dense(dev, dLosses), x = GpuTensors.dense(dev, logits), t = GpuTensors.dense(dev, targets);
        Tensor l = GpuTensors.dense(dev, lse), dx = GpuTensors.empty(dev, logits.dtype(), n, v);
        Tensor badRow = badRowFlag(n);
        ProgramSource src = KernelSource.of("cross_entropy.c").real("REAL", FusedRules.computeType(logits))
                .type("DL", dl.dtype()).type("X", x.dtype()).type("T", t.dtype()).type("L", l.dtype()).type("DX", dx.dtype()).build();
        Launches.columns(dev, src, "cross_entropy_backward", v, n, dl, x, t, l, dx, badRow, v, ignoreIndex, (long) n);
        checkTargets(badRow, targets, ignoreIndex, n, v);
        return dx;
    }

    /** An I32 [1] holding n: the kernels lower it to the first row with a bad target. */
    private Tensor badRowFlag(int n) {
        Tensor flag = GpuTensors.empty(dev, DType.I32, 1);
        Copies.fill(dev, flag, n);
        return flag;
    }

    private static void checkTargets(Tensor badRow, Tensor targets, long ignoreIndex, int n, int v) {
        if (n == 0) return;
        long row = n;
        if (v == 0) { // no kernel ran: every target that is not ignored is out of range
            long[] t = targets.toLongArray();
            for (int i = n - 1; i >= 0; i--) if (t[i] != ignoreIndex) row = i;
        } else {
            row = badRow.toLongArray()[0];
        }
        if (row < n) CrossEntropyRules.checkTarget(targets.narrow(0, (int) row, 1).toLongArray()[0], row, ignoreIndex, v);
    }
}
