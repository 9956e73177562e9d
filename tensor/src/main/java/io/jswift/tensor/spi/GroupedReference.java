package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The grouped (MoE expert) products composed from the backend's matmul, one group at a time: the default of
 * {@link Backend#groupedMatmul} and {@link Backend#groupedWeightGrad}, the fallback of a backend without a grouped
 * kernel, and the rule both share for their arguments. Dims: M grouped rows, E groups, K in, N out features.
 */
public final class GroupedReference {
    private GroupedReference() {}

    public static void matmul(Backend be, Tensor x, Tensor w, int[] counts, boolean transW, Tensor out) {
        checkMatmul(x, w, counts, transW, out);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            int c = counts[e];
            if (c > 0) be.matmul(x.narrow(0, off, c), w.select(0, e), false, transW, out.narrow(0, off, c));
            off += c;
        }
    }

    public static void weightGrad(Backend be, Tensor dy, Tensor x, int[] counts, Tensor dw) {
        checkWeightGrad(dy, x, counts, dw);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            int c = counts[e];
            if (c > 0) be.matmul(dy.narrow(0, off, c), x.narrow(0, off, c), true, false, dw.select(0, e));
            else be.fill(dw.select(0, e), 0);
            off += c;
        }
    }

    /** h = grouped x·gateUpᵀ, y = grouped (silu(h_gate)·h_up)·downᵀ. */
    public static FusedResults.GroupedMlp siluMlp(Backend be, Tensor x, Tensor gateUp, Tensor down, int[] counts) {
        checkMlp(x, gateUp, down, counts);
        DType acc = MatmulRules.accumulatorType(x, gateUp);
        int inter = down.size(2);
        Tensor h = be.allocate(acc, x.size(0), 2 * inter);
        matmul(be, x, gateUp, counts, true, h);
        Tensor gated = be.siluMul(h.narrow(1, 0, inter), h.narrow(1, inter, inter));
        Tensor y = be.allocate(MatmulRules.accumulatorType(gated, down), x.size(0), down.size(1));
        matmul(be, gated, down, counts, true, y);
        return new FusedResults.GroupedMlp(y, h);
    }

    /** The chain rule through {@link #siluMlp}, silu(h_gate)·h_up recomputed from the saved h. */
    public static FusedResults.GroupedMlpGrads siluMlpBackward(Backend be, Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts) {
        checkMlp(x, gateUp, down, counts);
        int inter = down.size(2), m = x.size(0);
        Tensor gate = h.narrow(1, 0, inter), up = h.narrow(1, inter, inter);
        Tensor gated = be.siluMul(gate, up);
        Tensor dGated = be.allocate(MatmulRules.accumulatorType(dy, down), m, inter);
        matmul(be, dy, down, counts, false, dGated);
        Tensor dDown = be.allocate(MatmulRules.accumulatorType(dy, gated), down.shape());
        weightGrad(be, dy, gated, counts, dDown);
        FusedResults.SiluMulGrads d = be.siluMulBackward(dGated, gate, up);
        Tensor dh = be.concat(List.of(d.dGate(), d.dUp()), 1);
        Tensor dx = be.allocate(MatmulRules.accumulatorType(dh, gateUp), x.shape());
        matmul(be, dh, gateUp, counts, false, dx);
        Tensor dGateUp = be.allocate(MatmulRules.accumulatorType(dh, x), gateUp.shape());
        weightGrad(be, dh, x, counts, dGateUp);
        return new FusedResults.GroupedMlpGrads(dx, dGateUp, dDown);
    }

    /** x [M, C], gateUp [E, 2I, C], down [E, C, I], counts summing to M. */
    public static void checkMlp(Tensor x, Tensor gateUp, Tensor down, int[] counts) {
        if (x.rank() != 2 || gateUp.rank() != 3 || down.rank() != 3 || gateUp.size(2) != x.size(1) || down.size(1) != x.size(1)
                || gateUp.size(1) != 2 * down.size(2) || gateUp.size(0) != counts.length || down.size(0) != counts.length) {
            throw new IllegalArgumentException("grouped MLP: rows [M, C], gate_up_proj [E, 2I, C] and down_proj [E, C, I] with E = "
                    + counts.length + ", got " + Arrays.toString(x.shape()) + ", " + Arrays.toString(gateUp.shape()) + " and " + Arrays.toString(down.shape()));
        }
        checkCounts(counts, x.size(0));
    }

    /** x [M, K], w [E, N, K] (transW) or [E, K, N], out [M, N], counts summing to M. */
    public static void checkMatmul(Tensor x, Tensor w, int[] counts, boolean transW, Tensor out) {
        if (x.rank() != 2 || w.rank() != 3 || w.size(transW ? 2 : 1) != x.size(1) || w.size(0) != counts.length) {
            throw new IllegalArgumentException("grouped matmul: x [M, K] and weight " + (transW ? "[E, N, K]" : "[E, K, N]") + " with E = "
                    + counts.length + " groups, got " + Arrays.toString(x.shape()) + " and " + Arrays.toString(w.shape()));
        }
        int n = w.size(transW ? 1 : 2);
        if (out.rank() != 2 || out.size(0) != x.size(0) || out.size(1) != n || !out.isContiguous()) {
            throw new IllegalArgumentException("grouped matmul: out must be a contiguous [" + x.size(0) + ", " + n + "], got "
                    + Arrays.toString(out.shape()));
        }
        checkCounts(counts, x.size(0));
    }

    /** dy [M, N], x [M, K], dw [E, N, K] contiguous, counts summing to M. */
    public static void checkWeightGrad(Tensor dy, Tensor x, int[] counts, Tensor dw) {
        if (dy.rank() != 2 || x.rank() != 2 || dy.size(0) != x.size(0) || dw.rank() != 3 || dw.size(0) != counts.length
                || dw.size(1) != dy.size(1) || dw.size(2) != x.size(1) || !dw.isContiguous()) {
            throw new IllegalArgumentException("grouped weight gradient: dy [M, N], x [M, K] and a contiguous dw [E, N, K] with E = "
                    + counts.length + ", got " + Arrays.toString(dy.shape()) + ", " + Arrays.toString(x.shape()) + " and " + Arrays.toString(dw.shape()));
        }
        checkCounts(counts, x.size(0));
    }

    private static void checkCounts(int[] counts, int rows) {
        long total = 0;
        for (int c : counts) {
            if (c < 0) throw new IllegalArgumentException("grouped matmul: negative group size in " + Arrays.toString(counts));
            total += c;
        }
        if (total != rows) throw new IllegalArgumentException("grouped matmul: group sizes sum to " + total + ", x has " + rows + " rows");
    }
}
