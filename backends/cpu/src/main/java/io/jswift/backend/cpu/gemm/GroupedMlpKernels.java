package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.fused.SiluMulKernels;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.GradTarget;
import io.jswift.tensor.spi.GroupedReference;
import io.jswift.tensor.spi.MatmulRules;

import java.lang.foreign.MemorySegment;

/**
 * The MoE experts' SwiGLU MLP, forward and backward, as one task per expert ({@link GroupedGemm#run}): an expert's
 * gate/up product, activation and down product (and in the backward its two input and two weight gradients) run on one
 * core back to back, its rows still in that core's caches, and the whole block is one parallel region where the
 * composition of grouped products took three (five in the backward) — each a wake-up of the other cores, which on
 * the busy 2-core VMs here costs more than a decode step's expert arithmetic. f32 results; f64 inputs take
 * {@link GroupedReference}. Dims: M grouped rows, C hidden, I expert intermediate, E experts.
 */
public final class GroupedMlpKernels {
    private GroupedMlpKernels() {}

    public static FusedResults.GroupedMlp forward(Backend be, Tensor x, Tensor gateUp, Tensor down, int[] counts) {
        GroupedReference.checkMlp(x, gateUp, down, counts);
        if (MatmulRules.accumulatorType(x, gateUp) == DType.F64 || down.dtype() == DType.F64) {
            return GroupedReference.siluMlp(be, x, gateUp, down, counts);
        }
        int m = x.size(0), c = x.size(1), inter = down.size(2);
        Tensor h = Tensor.zeros(DType.F32, m, 2 * inter), y = Tensor.zeros(DType.F32, m, c);
        long mark = HostStorage.allocationMark();
        Tensor gated = Tensor.zeros(DType.F32, m, inter);
        int[] off = GroupedGemm.offsets(counts);
        GroupedGemm.run(counts, e -> {
            int r = counts[e], o = off[e];
            GroupedGemm.product(r, 2 * inter, c, GroupedGemm.rows(x, o), transposed(gateUp, e), h.hostSegment(), (long) o * 2 * inter, 2 * inter, false, false);
            SiluMulKernels.forwardRows(h.hostSegment(), (long) o * 2 * inter, gated.hostSegment(), (long) o * inter, r, inter);
            GroupedGemm.product(r, c, inter, GroupedGemm.rows(gated, o), transposed(down, e), y.hostSegment(), (long) o * c, c, false, false);
        });
        release(mark, gated);
        return new FusedResults.GroupedMlp(y, h);
    }

    /**
     * The backward, each gradient as its target says: a weight gradient added {@link GradTarget#into} a parameter's
     * accumulated {@code .grad} goes straight into it (C += dhᵀ·x in the kernels' epilogue), with no zero-filled
     * [E, 2I, C] + [E, C, I] temporary and no separate add — at 128 experts those were 600 MB a step written, read
     * and written again, besides the experts' arithmetic; a skipped one (frozen experts) costs nothing.
     */
    public static FusedResults.GroupedMlpGrads backward(Backend be, Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts,
                                                        GradTarget dInput, GradTarget dGateUp, GradTarget dDown) {
        GroupedReference.checkMlp(x, gateUp, down, counts);
        GroupedReference.checkTargets(dInput, dGateUp, dDown, gateUp, down);
        if (h.dtype() != DType.F32 || !h.isContiguous() || !f32(dGateUp) || !f32(dDown)) {
            return GroupedReference.siluMlpBackward(be, dy, x, gateUp, down, h, counts, dInput, dGateUp, dDown);
        }
        int m = x.size(0), c = x.size(1), inter = down.size(2);
        boolean needDh = dInput.wanted() || dGateUp.wanted();
        Tensor dx = dInput.wanted() ? Tensor.zeros(DType.F32, m, c) : null;
        long mark = HostStorage.allocationMark();
        Tensor gated = dDown.wanted() ? Tensor.zeros(DType.F32, m, inter) : null;
        Tensor dGated = needDh ? Tensor.zeros(DType.F32, m, inter) : null, dh = needDh ? Tensor.zeros(DType.F32, m, 2 * inter) : null;
        // new gradients zero-filled: an expert no row picked keeps a zero gradient (torch's gradient of an unused slice)
        Tensor dDownOut = !dDown.wanted() ? null : dDown.accumulates() ? dDown.into() : Tensor.zeros(DType.F32, down.shape());
        Tensor dGateUpOut = !dGateUp.wanted() ? null : dGateUp.accumulates() ? dGateUp.into() : Tensor.zeros(DType.F32, gateUp.shape());
        boolean addDown = dDown.accumulates(), addGateUp = dGateUp.accumulates();
        long hOff = h.offset();
        int[] off = GroupedGemm.offsets(counts);
        GroupedGemm.run(counts, e -> {
            int r = counts[e], o = off[e];
            long gatedRows = (long) o * inter, hRows = hOff + (long) o * 2 * inter, dhRows = (long) o * 2 * inter;
            if (dDownOut != null) { // dDown[e] (+)= dyᵀ·gated, the activation recomputed, not saved
                SiluMulKernels.forwardRows(h.hostSegment(), hRows, gated.hostSegment(), gatedRows, r, inter);
                GroupedGemm.weightProduct(c, inter, r, rowsTransposed(dy, o), GroupedGemm.rows(gated, o), dDownOut.hostSegment(),
                        dDownOut.offset() + (long) e * c * inter, inter, false, addDown);
            }
            if (!needDh) return;
            // dGated = dy·down[e]; dh = the silu·mul chain rule
            GroupedGemm.product(r, inter, c, GroupedGemm.rows(dy, o), plain(down, e), dGated.hostSegment(), gatedRows, inter, false, false);
            SiluMulKernels.backwardRows(dGated.hostSegment(), gatedRows, h.hostSegment(), hRows, dh.hostSegment(), dhRows, r, inter);
            // dx = dh·gateUp[e]; dGateUp[e] (+)= dhᵀ·x
            if (dx != null) GroupedGemm.product(r, c, 2 * inter, GroupedGemm.rows(dh, o), plain(gateUp, e), dx.hostSegment(), (long) o * c, c, false, false);
            if (dGateUpOut != null) {
                GroupedGemm.weightProduct(2 * inter, c, r, rowsTransposed(dh, o), GroupedGemm.rows(x, o), dGateUpOut.hostSegment(),
                        dGateUpOut.offset() + (long) e * 2 * inter * c, c, false, addGateUp);
            }
        });
        release(mark, gated, dGated, dh);
        return new FusedResults.GroupedMlpGrads(dx, dGateUpOut, dDownOut);
    }

    /** A target the f32 kernels can add into: none, or a contiguous f32 tensor. */
    private static boolean f32(GradTarget t) {
        return !t.accumulates() || t.into().dtype() == DType.F32;
    }

    /**
     * Inference: the tokens' rows gathered, the SwiGLU MLP and the weighted sum back to the tokens in one grouped
     * call ({@link Backend#groupedSiluMlpCombine}). Each expert's task copies its tokens' rows (a decode token's
     * eight copies of one row) and runs its MLP as {@link #forward} does; then each token sums its rows, weight
     * times row, in grouped order — the order and the roundings (a product, then a sum) of index_add of the
     * weighted rows into zeros, with no [M, C] weighted copy, no zero-filled [N, C] pass and no index tensors.
     */
    public static Tensor combine(Backend be, Tensor x, Tensor gateUp, Tensor down, int[] counts, int[] tokens, float[] weights) {
        GroupedReference.checkCombine(x, gateUp, down, counts, tokens, weights);
        if (MatmulRules.accumulatorType(x, gateUp) == DType.F64 || down.dtype() == DType.F64) {
            return GroupedReference.siluMlpCombine(be, x, gateUp, down, counts, tokens, weights);
        }
        int m = tokens.length, n = x.size(0), c = x.size(1), inter = down.size(2);
        Tensor out = Tensor.zeros(DType.F32, n, c);
        long mark = HostStorage.allocationMark();
        Tensor rows = Tensor.zeros(DType.F32, m, c), h = Tensor.zeros(DType.F32, m, 2 * inter), gated = Tensor.zeros(DType.F32, m, inter);
        Tensor y = Tensor.zeros(DType.F32, m, c);
        Operand source = new Operand(x.hostSegment(), x.dtype(), x.offset(), x.stride(0), x.stride(1));
        int[] off = GroupedGemm.offsets(counts);
        GroupedGemm.run(counts, e -> {
            int r = counts[e], o = off[e];
            float[] row = new float[c];
            for (int i = o; i < o + r; i++) {
                source.readRun(tokens[i], 0, c, true, row, 0, 1);
                MemorySegment.copy(row, 0, rows.hostSegment(), HostAccess.F32, (long) i * c * 4, c);
            }
            GroupedGemm.product(r, 2 * inter, c, GroupedGemm.rows(rows, o), transposed(gateUp, e), h.hostSegment(), (long) o * 2 * inter, 2 * inter, false, false);
            SiluMulKernels.forwardRows(h.hostSegment(), (long) o * 2 * inter, gated.hostSegment(), (long) o * inter, r, inter);
            GroupedGemm.product(r, c, inter, GroupedGemm.rows(gated, o), transposed(down, e), y.hostSegment(), (long) o * c, c, false, false);
        });
        WeightedRows.sum(y.hostSegment(), c, tokens, weights, out.hostSegment(), n);
        release(mark, rows, h, gated, y);
        return out;
    }

    /**
     * The call's own temporaries back to the allocator's cache at once (as {@code GradientRecycler} does for a
     * backward's), so the next layer or step takes warm blocks: left to the garbage collector, each step allocated
     * them fresh, and fresh pages fault on first touch (HostMemory: ~15 ms per 4 MiB on the VMs here).
     */
    private static void release(long mark, Tensor... temporaries) {
        for (Tensor t : temporaries) if (t != null) HostStorage.releaseIfNewer(t.storage(), mark);
    }

    /** B = w[e]ᵀ of w [E, N, K]: the operand of x·w[e]ᵀ. */
    private static Operand transposed(Tensor w, int e) {
        return new Operand(w.hostSegment(), w.dtype(), w.offset() + e * w.stride(0), w.stride(2), w.stride(1));
    }

    /** B = w[e] of w [E, K, N]. */
    private static Operand plain(Tensor w, int e) {
        return new Operand(w.hostSegment(), w.dtype(), w.offset() + e * w.stride(0), w.stride(1), w.stride(2));
    }

    /** A = t[rows from first]ᵀ of t [M, N]: the operand of a weight gradient dyᵀ·x. */
    private static Operand rowsTransposed(Tensor t, int first) {
        return new Operand(t.hostSegment(), t.dtype(), t.offset() + (long) first * t.stride(0), t.stride(1), t.stride(0));
    }
}
