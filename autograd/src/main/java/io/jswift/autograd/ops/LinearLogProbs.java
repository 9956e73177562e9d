package io.jswift.autograd.ops;

import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;

/**
 * Per-row log-probabilities log softmax(hidden·Wᵀ)[n, targets[n]] (TRL's selective_log_softmax) for hidden [N, H]
 * and weight [V, H], taken {@code chunkRows} rows at a time so the [N, V] logits never exist whole. Unlike
 * {@link LinearCrossEntropy} the result is a vector [N], so the incoming gradient differs per row and the logit
 * gradient cannot be formed in the forward: the forward keeps only the log-sum-exp [N], and the backward
 * recomputes each chunk's logits (one more [chunk, V] GEMM per chunk) to form dLogits = -g·(softmax - onehot),
 * dhidden = dLogits·W and dW += dLogitsᵀ·hidden.
 *
 * <p>Rows whose target is {@code ignoreIndex} give 0 and no gradient. When {@code stats} is given, the forward
 * also fills it with what TRL logs from the same logits (entropy, mean logit, argmax hit per row): the logits
 * exist only inside this loop, so this is the one place to read them.
 */
record LinearLogProbs(Tensor targets, long ignoreIndex, int chunkRows, TokenStats stats) implements Function {
    @Override
    public Tensor[] constants() { return new Tensor[]{targets}; }

    @Override
    public Tensor forward(Context ctx, Tensor... in) {
        Tensor h = in[0], weight = in[1];
        Backend be = h.backend();
        int n = h.size(0);
        Tensor logps = null, lse = null;
        for (int start = 0; start < n; start += chunkRows) {
            int len = Math.min(chunkRows, n - start);
            Tensor hc = h.narrow(0, start, len), tc = targets.narrow(0, start, len);
            Tensor logits = be.matmul(hc, weight, false, true);
            FusedResults.CrossEntropy ce = be.crossEntropy(logits, tc, ignoreIndex);
            if (logps == null) {
                logps = be.allocate(ce.losses().dtype(), n);
                lse = be.allocate(ce.logSumExp().dtype(), n);
            }
            be.copy(be.binaryScalar(BinaryOp.MUL, ce.losses(), -1.0), logps.narrow(0, start, len));
            be.copy(ce.logSumExp(), lse.narrow(0, start, len));
            if (stats != null) stats.accept(be, start, logits, ce.logSumExp(), tc);
        }
        if (ctx.needsInputGrad(0) || ctx.needsInputGrad(1)) ctx.save(h, weight, lse);
        return logps;
    }

    @Override
    public Tensor[] backward(Context ctx, Tensor g) {
        Backend be = ctx.backend();
        Tensor h = ctx.saved(0), weight = ctx.saved(1), lse = ctx.saved(2);
        int n = h.size(0);
        Tensor dh = ctx.needsInputGrad(0) ? be.allocate(h.dtype(), n, h.size(1)) : null;
        Tensor dw = ctx.needsInputGrad(1) ? be.allocate(weight.dtype(), weight.shape()) : null;
        if (dw != null) be.fill(dw, 0);
        Tensor minusG = be.binaryScalar(BinaryOp.MUL, g, -1.0); // d(-CE) = -dCE
        for (int start = 0; start < n; start += chunkRows) {
            int len = Math.min(chunkRows, n - start);
            Tensor hc = h.narrow(0, start, len), tc = targets.narrow(0, start, len);
            Tensor logits = be.matmul(hc, weight, false, true);
            Tensor gc = minusG.narrow(0, start, len);
            Tensor dLogits = be.crossEntropyBackward(gc.dtype() == logits.dtype() ? gc : gc.to(logits.dtype()), logits, tc,
                    lse.narrow(0, start, len), ignoreIndex);
            if (dh != null) {
                Tensor dhc = be.matmul(dLogits, weight, false, false);
                be.copy(dhc.dtype() == h.dtype() ? dhc : dhc.to(h.dtype()), dh.narrow(0, start, len));
            }
            if (dw != null) be.matmulAccumulate(dLogits, hc, true, false, dw); // dW += dLogitsᵀ · h
        }
        return new Tensor[]{dh, dw};
    }
}
