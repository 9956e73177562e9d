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

    public static void weightGrad(Backend be, Tensor dy, Tensor x, int[] counts, Tensor dw, boolean accumulate) {
        checkWeightGrad(dy, x, counts, dw);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            int c = counts[e];
            Tensor dyE = dy.narrow(0, off, c), xE = x.narrow(0, off, c), dwE = dw.select(0, e);
            if (c > 0 && accumulate) be.matmulAccumulate(dyE, xE, true, false, dwE);
            else if (c > 0) be.matmul(dyE, xE, true, false, dwE);
            else if (!accumulate) be.fill(dwE, 0);
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

    /**
     * The chain rule through {@link #siluMlp}, silu(h_gate)·h_up recomputed from the saved h; each gradient as its
     * target says ({@link Backend#groupedSiluMlpBackward}).
     */
    public static FusedResults.GroupedMlpGrads siluMlpBackward(Backend be, Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts,
                                                               GradTarget dInput, GradTarget dGateUp, GradTarget dDown) {
        checkMlp(x, gateUp, down, counts);
        checkTargets(dInput, dGateUp, dDown, gateUp, down);
        int inter = down.size(2), m = x.size(0);
        Tensor gate = h.narrow(1, 0, inter), up = h.narrow(1, inter, inter);
        Tensor dDownOut = null, dx = null, dGateUpOut = null;
        if (dDown.wanted()) {
            Tensor gated = be.siluMul(gate, up);
            dDownOut = dDown.accumulates() ? dDown.into() : be.allocate(MatmulRules.accumulatorType(dy, gated), down.shape());
            weightGrad(be, dy, gated, counts, dDownOut, dDown.accumulates());
        }
        if (dInput.wanted() || dGateUp.wanted()) {
            Tensor dGated = be.allocate(MatmulRules.accumulatorType(dy, down), m, inter);
            matmul(be, dy, down, counts, false, dGated);
            FusedResults.SiluMulGrads d = be.siluMulBackward(dGated, gate, up);
            Tensor dh = be.concat(List.of(d.dGate(), d.dUp()), 1);
            if (dInput.wanted()) {
                dx = be.allocate(MatmulRules.accumulatorType(dh, gateUp), x.shape());
                matmul(be, dh, gateUp, counts, false, dx);
            }
            if (dGateUp.wanted()) {
                dGateUpOut = dGateUp.accumulates() ? dGateUp.into() : be.allocate(MatmulRules.accumulatorType(dh, x), gateUp.shape());
                weightGrad(be, dh, x, counts, dGateUpOut, dGateUp.accumulates());
            }
        }
        return new FusedResults.GroupedMlpGrads(dx, dGateUpOut, dDownOut);
    }

    /**
     * The inference combine ({@link Backend#groupedSiluMlpCombine}) composed: gather the tokens' rows, the grouped MLP,
     * scale each row by its weight and index_add the rows into zeros.
     */
    public static Tensor siluMlpCombine(Backend be, Tensor x, Tensor gateUp, Tensor down, int[] counts, int[] tokens, float[] weights) {
        checkCombine(x, gateUp, down, counts, tokens, weights);
        long[] index = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) index[i] = tokens[i];
        Tensor rowIndex = Tensor.ofLongs(index, index.length).to(be.device());
        Tensor rows = be.indexSelect(x, 0, rowIndex);
        Tensor y = siluMlp(be, rows, gateUp, down, counts).output();
        Tensor w = be.cast(Tensor.of(weights, weights.length, 1).to(be.device()), y.dtype());
        Tensor weighted = be.binary(BinaryOp.MUL, y, w);
        Tensor out = be.allocate(y.dtype(), x.size(0), x.size(1));
        be.fill(out, 0);
        be.indexAdd(out, 0, rowIndex, weighted);
        return out;
    }

    /** {@link #checkMlp} on the grouped rows, plus one token in [0, N) and one weight per grouped row. */
    public static void checkCombine(Tensor x, Tensor gateUp, Tensor down, int[] counts, int[] tokens, float[] weights) {
        if (tokens.length != weights.length) {
            throw new IllegalArgumentException("grouped MLP combine: " + tokens.length + " row tokens but " + weights.length + " row weights");
        }
        if (x.rank() != 2) throw new IllegalArgumentException("grouped MLP combine: x must be [N, C], got " + Arrays.toString(x.shape()));
        checkMlp(Tensor.meta(x.dtype(), tokens.length, x.size(1)), gateUp, down, counts);
        for (int t : tokens) {
            if (t < 0 || t >= x.size(0)) throw new IllegalArgumentException("grouped MLP combine: row token " + t + " outside [0, " + x.size(0) + ")");
        }
    }

    /** A skipped or new input gradient; weight gradients added into contiguous tensors of their weight's shape. */
    public static void checkTargets(GradTarget dInput, GradTarget dGateUp, GradTarget dDown, Tensor gateUp, Tensor down) {
        if (dInput.accumulates()) throw new IllegalArgumentException("grouped MLP backward: the input gradient is never accumulated in place");
        checkInto(dGateUp, gateUp, "gate_up_proj");
        checkInto(dDown, down, "down_proj");
    }

    private static void checkInto(GradTarget target, Tensor weight, String name) {
        if (target.accumulates() && (!Arrays.equals(target.into().shape(), weight.shape()) || !target.into().isContiguous())) {
            throw new IllegalArgumentException("grouped MLP backward: the " + name + " gradient must be added into a contiguous "
                    + Arrays.toString(weight.shape()) + ", got " + Arrays.toString(target.into().shape()));
        }
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
