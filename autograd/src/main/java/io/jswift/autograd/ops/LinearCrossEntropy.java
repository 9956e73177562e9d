package io.jswift.autograd.ops;

import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;

/**
 * sum(cross_entropy(hidden·Wᵀ, targets)) / divisor without ever holding the [N, V] logits: rows are taken in
 * chunks, and each chunk's logits, losses and logit gradient live only inside the forward, which keeps
 * dLoss/dhidden [N, H] for the backward (the fused linear cross-entropy of Liger Kernel, Hsu et al. 2024).
 * The LM head of a 152k vocabulary at 512 tokens otherwise holds 311 MB of f32 logits plus as much of their
 * gradient at the peak of a step. The weight is a constant here (a frozen head: LoRA / DoRA / QLoRA); a
 * trainable head goes through {@link LinearAlgebra#linear} and {@link Losses#crossEntropy}.
 *
 * <p>The result is a scalar, so the backward only scales the saved gradient by the incoming one.
 */
record LinearCrossEntropy(Tensor weight, Tensor targets, long ignoreIndex, double divisor, int chunkRows) implements Function {
    @Override
    public Tensor[] constants() { return new Tensor[]{weight, targets}; }

    @Override
    public Tensor forward(Context ctx, Tensor... in) {
        Tensor h = in[0];
        Backend be = h.backend();
        int n = h.size(0);
        Tensor dh = ctx.needsInputGrad(0) ? be.allocate(h.dtype(), n, h.size(1)) : null;
        double total = 0;
        for (int start = 0; start < n; start += chunkRows) {
            int len = Math.min(chunkRows, n - start);
            Tensor hc = h.narrow(0, start, len), tc = targets.narrow(0, start, len);
            Tensor logits = be.matmul(hc, weight, false, true);
            FusedResults.CrossEntropy ce = be.crossEntropy(logits, tc, ignoreIndex);
            for (double loss : ce.losses().toDoubleArray()) total += loss;
            if (dh != null) {
                Tensor dLosses = be.allocate(ce.losses().dtype(), len);
                be.fill(dLosses, 1.0 / divisor);
                Tensor dLogits = be.crossEntropyBackward(dLosses, logits, tc, ce.logSumExp(), ignoreIndex);
                Tensor dhc = be.matmul(dLogits, weight, false, false);
                be.copy(dhc.dtype() == h.dtype() ? dhc : dhc.to(h.dtype()), dh.narrow(0, start, len));
            }
        }
        if (dh != null) ctx.save(dh);
        return Tensor.scalar(h.dtype(), total / divisor).to(h.device());
    }

    @Override
    public Tensor[] backward(Context ctx, Tensor g) {
        return new Tensor[]{ctx.backend().binary(BinaryOp.MUL, ctx.saved(0), g)};
    }
}
