package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.fused.SiluMulKernels;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.GroupedReference;
import io.jswift.tensor.spi.MatmulRules;

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
        Tensor h = Tensor.zeros(DType.F32, m, 2 * inter), gated = Tensor.zeros(DType.F32, m, inter), y = Tensor.zeros(DType.F32, m, c);
        int[] off = GroupedGemm.offsets(counts);
        GroupedGemm.run(counts, e -> {
            int r = counts[e], o = off[e];
            GroupedGemm.product(r, 2 * inter, c, GroupedGemm.rows(x, o), transposed(gateUp, e), h.hostSegment(), (long) o * 2 * inter, 2 * inter, false);
            SiluMulKernels.forwardRows(h.hostSegment(), (long) o * 2 * inter, gated.hostSegment(), (long) o * inter, r, inter);
            GroupedGemm.product(r, c, inter, GroupedGemm.rows(gated, o), transposed(down, e), y.hostSegment(), (long) o * c, c, false);
        });
        return new FusedResults.GroupedMlp(y, h);
    }

    public static FusedResults.GroupedMlpGrads backward(Backend be, Tensor dy, Tensor x, Tensor gateUp, Tensor down, Tensor h, int[] counts) {
        GroupedReference.checkMlp(x, gateUp, down, counts);
        if (h.dtype() != DType.F32 || !h.isContiguous()) return GroupedReference.siluMlpBackward(be, dy, x, gateUp, down, h, counts);
        int m = x.size(0), c = x.size(1), inter = down.size(2);
        Tensor gated = Tensor.zeros(DType.F32, m, inter), dGated = Tensor.zeros(DType.F32, m, inter), dh = Tensor.zeros(DType.F32, m, 2 * inter);
        Tensor dx = Tensor.zeros(DType.F32, m, c);
        // zero-filled: an expert no row picked keeps a zero gradient (torch's gradient of an unused slice)
        Tensor dDown = Tensor.zeros(DType.F32, down.shape()), dGateUp = Tensor.zeros(DType.F32, gateUp.shape());
        long hOff = h.offset();
        int[] off = GroupedGemm.offsets(counts);
        GroupedGemm.run(counts, e -> {
            int r = counts[e], o = off[e];
            long gatedRows = (long) o * inter, hRows = hOff + (long) o * 2 * inter, dhRows = (long) o * 2 * inter;
            SiluMulKernels.forwardRows(h.hostSegment(), hRows, gated.hostSegment(), gatedRows, r, inter); // recomputed, not saved
            // dGated = dy·down[e]; dDown[e] = dyᵀ·gated
            GroupedGemm.product(r, inter, c, GroupedGemm.rows(dy, o), plain(down, e), dGated.hostSegment(), gatedRows, inter, false);
            GroupedGemm.product(c, inter, r, rowsTransposed(dy, o), GroupedGemm.rows(gated, o), dDown.hostSegment(), (long) e * c * inter, inter, false);
            SiluMulKernels.backwardRows(dGated.hostSegment(), gatedRows, h.hostSegment(), hRows, dh.hostSegment(), dhRows, r, inter);
            // dx = dh·gateUp[e]; dGateUp[e] = dhᵀ·x
            GroupedGemm.product(r, c, 2 * inter, GroupedGemm.rows(dh, o), plain(gateUp, e), dx.hostSegment(), (long) o * c, c, false);
            GroupedGemm.product(2 * inter, c, r, rowsTransposed(dh, o), GroupedGemm.rows(x, o), dGateUp.hostSegment(), (long) e * 2 * inter * c, c, false);
        });
        return new FusedResults.GroupedMlpGrads(dx, dGateUp, dDown);
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
