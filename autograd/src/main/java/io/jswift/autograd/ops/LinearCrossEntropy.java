package io.jswift.autograd.ops;

import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.MatmulRules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * sum(cross_entropy(hidden·Wᵀ, targets)) / divisor without ever holding the [N, V] logits: rows are taken in
 * chunks, and each chunk's logits, losses and logit gradient live only inside the forward, which keeps
 * dLoss/dhidden [N, H] and, for a trainable head, dLoss/dW [V, H] for the backward (the fused linear
 * cross-entropy of Liger Kernel, Hsu et al. 2024). The weight gradient is accumulated chunk by chunk with
 * {@link Backend#matmulAccumulate}, so no [V, H] temporary appears either. The LM head of a 152k vocabulary
 * at 512 tokens otherwise holds 311 MB of f32 logits plus as much of their gradient at the peak of a step.
 *
 * <p>A vocabulary wider than {@code sliceRows} is also walked in slices of the weight's rows (see {@link #slices}):
 * each slice's logits come from one GEMM, the row's log-sum-exp is combined over the slices, and the logit gradient
 * exists one slice at a time. After each use of a slice its pages are dropped when the weight is a memory-mapped
 * checkpoint tensor ({@link Tensor#unloadMappedPages}), so a frozen bf16 head (1.01 GiB at the Qwen2.5-7B shape) is
 * never resident whole: QLoRA's peak memory would otherwise hold it beside the 4-bit decoder.
 *
 * <p>Inputs: hidden [N, H], weight [V, H] (a trainable weight has hidden's dtype, F32 or F64). The result is
 * a scalar, so the backward only scales the saved gradients by the incoming one; when that is 1 (a loss's own backward) the saved weight gradient is handed
 * over as is ({@link Context#handOff}), and becomes the weight's {@code .grad} without a copy.
 */
record LinearCrossEntropy(Tensor targets, long ignoreIndex, double divisor, int chunkRows, int sliceRows) implements Function {
    @Override
    public Tensor[] constants() { return new Tensor[]{targets}; }

    @Override
    public Tensor forward(Context ctx, Tensor... in) {
        Tensor h = in[0], weight = in[1];
        Backend be = h.backend();
        int n = h.size(0);
        Tensor dh = ctx.needsInputGrad(0) ? be.allocate(h.dtype(), n, h.size(1)) : null;
        // a trainable weight is F32 (master weights) or F64 (gradient checks), the dtype matmul accumulates in
        Tensor dw = ctx.needsInputGrad(1) ? be.allocate(weight.dtype(), weight.shape()) : null;
        long[] allTargets = weight.size(0) > sliceRows ? targets.toLongArray() : null;
        double total = 0;
        for (int start = 0; start < n; start += chunkRows) {
            int len = Math.min(chunkRows, n - start);
            Tensor hc = h.narrow(0, start, len), tc = targets.narrow(0, start, len);
            Tensor dhc = dh == null ? null : dh.narrow(0, start, len);
            total += allTargets == null ? wholeVocab(be, hc, weight, tc, dhc, dw)
                    : slices(be, hc, weight, Arrays.copyOfRange(allTargets, start, start + len), dhc, dw);
        }
        ctx.save(dh, dw);
        return Tensor.scalar(h.dtype(), total / divisor).to(h.device());
    }

    /** One chunk of rows against the whole vocabulary: the sum of its losses; its gradients written into dh / added to dw. */
    private double wholeVocab(Backend be, Tensor hc, Tensor weight, Tensor tc, Tensor dhc, Tensor dw) {
        Tensor logits = be.matmul(hc, weight, false, true);
        FusedResults.CrossEntropy ce = be.crossEntropy(logits, tc, ignoreIndex);
        double total = 0;
        for (double loss : ce.losses().toDoubleArray()) total += loss;
        if (dhc == null && dw == null) return total;
        Tensor dLogits = be.crossEntropyBackward(unitLosses(be, ce.losses().dtype(), hc.size(0)), logits, tc, ce.logSumExp(), ignoreIndex);
        if (dhc != null) {
            Tensor d = be.matmul(dLogits, weight, false, false);
            be.copy(d.dtype() == dhc.dtype() ? d : d.to(dhc.dtype()), dhc);
        }
        if (dw != null) be.matmulAccumulate(dLogits, hc, true, false, dw); // dW += dLogitsᵀ · h
        return total;
    }

    /**
     * One chunk of rows against the vocabulary in slices of {@code sliceRows} weight rows. Each slice's logits get one
     * extra column of a very negative value, which adds exactly 0 to the row's sum of exponentials: in the backward a
     * row whose target lies in another slice targets that column, so {@link Backend#crossEntropyBackward} gives it the
     * softmax alone (an ignored target would zero the row), and the column is then left out of the products.
     * loss = lse − x[target] = loss_s + (lse − lse_s) with s the target's slice; lse = log Σ_s exp(lse_s), in f64.
     */
    private double slices(Backend be, Tensor hc, Tensor weight, long[] t, Tensor dhc, Tensor dw) {
        int len = hc.size(0), vocab = weight.size(0);
        double[] max = new double[len], sum = new double[len], targetLoss = new double[len], targetLse = new double[len];
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        List<Tensor> logits = new ArrayList<>();
        DType statsType = null;
        for (int v0 = 0; v0 < vocab; v0 += sliceRows) {
            int width = Math.min(sliceRows, vocab - v0);
            Tensor ws = weight.narrow(0, v0, width);
            Tensor product = be.matmul(hc, ws, false, true);
            Tensor ext = be.allocate(product.dtype(), len, width + 1);
            be.copy(product, ext.narrow(1, 0, width));
            be.fill(ext.narrow(1, width, 1), product.dtype() == DType.F16 ? -65504 : -1e30);
            ws.unloadMappedPages();
            long[] local = new long[len];
            for (int r = 0; r < len; r++) local[r] = t[r] >= v0 && t[r] < v0 + width ? t[r] - v0 : ignoreIndex;
            FusedResults.CrossEntropy ce = be.crossEntropy(ext, Tensor.ofLongs(local, len).to(hc.device()), ignoreIndex);
            statsType = ce.logSumExp().dtype();
            double[] lse = ce.logSumExp().toDoubleArray(), losses = ce.losses().toDoubleArray();
            for (int r = 0; r < len; r++) {
                if (lse[r] > max[r]) {
                    sum[r] = sum[r] * Math.exp(max[r] - lse[r]) + 1;
                    max[r] = lse[r];
                } else {
                    sum[r] += Math.exp(lse[r] - max[r]);
                }
                if (local[r] != ignoreIndex) {
                    targetLoss[r] = losses[r];
                    targetLse[r] = lse[r];
                }
            }
            logits.add(dhc == null && dw == null ? null : ext);
        }
        double total = 0;
        double[] rowLse = new double[len];
        for (int r = 0; r < len; r++) {
            rowLse[r] = max[r] + Math.log(sum[r]);
            if (t[r] != ignoreIndex) total += targetLoss[r] + (rowLse[r] - targetLse[r]);
        }
        if (dhc == null && dw == null) return total;
        Tensor lse = Tensor.of(rowLse, len).to(statsType).to(hc.device()), dLosses = unitLosses(be, statsType, len);
        Tensor dhAcc = null; // dh of the chunk, accumulated over the slices in the matmul's accumulator dtype
        for (int s = 0, v0 = 0; v0 < vocab; s++, v0 += sliceRows) {
            int width = Math.min(sliceRows, vocab - v0);
            long[] local = new long[len];
            for (int r = 0; r < len; r++) {
                local[r] = t[r] == ignoreIndex ? ignoreIndex : t[r] >= v0 && t[r] < v0 + width ? t[r] - v0 : width;
            }
            Tensor ext = logits.set(s, null);
            Tensor dLogits = be.crossEntropyBackward(dLosses, ext, Tensor.ofLongs(local, len).to(hc.device()), lse, ignoreIndex)
                    .narrow(1, 0, width);
            Tensor ws = weight.narrow(0, v0, width);
            if (dhc != null) {
                if (dhAcc == null) dhAcc = be.allocate(MatmulRules.accumulatorType(dLogits, ws), len, hc.size(1));
                be.matmulAccumulate(dLogits, ws, false, false, dhAcc); // dh += dLogits_s · W_s
            }
            if (dw != null) be.matmulAccumulate(dLogits, hc, true, false, dw.narrow(0, v0, width));
            ws.unloadMappedPages();
        }
        if (dhAcc != null) be.copy(dhAcc.dtype() == dhc.dtype() ? dhAcc : dhAcc.to(dhc.dtype()), dhc);
        return total;
    }

    /** dLoss/dloss_row = 1 / divisor for every row of a chunk. */
    private Tensor unitLosses(Backend be, DType dtype, int len) {
        Tensor d = be.allocate(dtype, len);
        be.fill(d, 1.0 / divisor);
        return d;
    }

    @Override
    public Tensor[] backward(Context ctx, Tensor g) {
        Backend be = ctx.backend();
        boolean unit = g.numel() == 1 && g.item() == 1.0;
        Tensor dh = ctx.saved(0) == null ? null : unit ? ctx.handOff(0) : be.binary(BinaryOp.MUL, ctx.saved(0), g);
        Tensor dw = ctx.saved(1) == null ? null : unit ? ctx.handOff(1) : be.binary(BinaryOp.MUL, ctx.saved(1), g);
        return new Tensor[]{dh, dw};
    }
}
