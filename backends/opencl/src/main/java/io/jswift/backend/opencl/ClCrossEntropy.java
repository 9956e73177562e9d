package io.jswift.backend.opencl;

import io.jswift.tensor.spi.CrossEntropyRules;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

import java.util.Arrays;

/**
 * Cross-entropy of logits [N, V] against I32/I64 targets [N] on the device (cross_entropy.cl), reduction 'none'
 * as torch.nn.functional.cross_entropy: ignored rows get loss 0 and a zero gradient row. losses and lse are f32
 * (f64 for F64 logits, which compute in double); dlogits take the logits' dtype. Targets are checked on the
 * device; a target outside [0, V) fails with its row and value (reading the flag back waits for the kernel).
 */
final class ClCrossEntropy {
    private final ClContext ctx;

    ClCrossEntropy(ClContext ctx) { this.ctx = ctx; }

    FusedResults.CrossEntropy forward(Tensor logits, Tensor targets, long ignoreIndex) {
        CrossEntropyRules.check(logits, targets);
        int n = logits.size(0), v = logits.size(1);
        DType real = ClRows.real(logits);
        Tensor x = ClTensors.dense(ctx, logits), t = ClTensors.dense(ctx, targets);
        Tensor losses = ClTensors.allocate(ctx, real, n), lse = ClTensors.allocate(ctx, real, n);
        Tensor badRow = badRowFlag(n);
        String src = ClSource.of("cross_entropy.cl").include("rows.cl").real("REAL", real)
                .type("X", x.dtype()).type("T", t.dtype()).type("S", real).text();
        ClRows.run(ctx, src, "cross_entropy_forward", n, v, real, 2, x, t, losses, lse, badRow, v, ignoreIndex);
        checkTargets(badRow, targets, ignoreIndex, n, v);
        return new FusedResults.CrossEntropy(losses, lse);
    }

    Tensor backward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        CrossEntropyRules.checkBackward(dLosses, logits, targets, lse);
        int n = logits.size(0), v = logits.size(1);
        Tensor dl = ClTensors.dense(ctx, dLosses), x = ClTensors.dense(ctx, logits), t = ClTensors.dense(ctx, targets);
        Tensor l = ClTensors.dense(ctx, lse), dx = ClTensors.allocate(ctx, logits.dtype(), n, v);
        Tensor badRow = badRowFlag(n);
        String src = ClSource.of("cross_entropy.cl").real("REAL", ClRows.real(logits))
                .type("DL", dl.dtype()).type("X", x.dtype()).type("T", t.dtype()).type("L", l.dtype()).type("DX", dx.dtype()).text();
        ClRows.runColumns(ctx, src, "cross_entropy_backward", v, n, dl, x, t, l, dx, badRow, v, ignoreIndex);
        checkTargets(badRow, targets, ignoreIndex, n, v);
        return dx;
    }

    /** An I32 [1] holding n: the kernels lower it to the first row with a bad target. */
    private Tensor badRowFlag(int n) {
        Tensor flag = ClTensors.allocate(ctx, DType.I32, 1);
        ClCopy.fill(ctx, flag, n);
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
