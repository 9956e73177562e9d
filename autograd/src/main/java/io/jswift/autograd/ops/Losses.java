package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

/** Cross-entropy, the loss of language modelling. */
public final class Losses {
    public static final long IGNORE_INDEX = -100;

    private Losses() {}

    /** Per-row losses [N] of logits [N, V] against targets [N]; 0 where the target is {@code ignoreIndex}. */
    public static Variable crossEntropyRows(Variable logits, Tensor targets, long ignoreIndex) {
        return Autograd.apply(new CrossEntropy(targets, ignoreIndex), logits);
    }

    /**
     * torch.nn.functional.cross_entropy(reduction="mean", ignore_index): the sum of the row losses divided
     * by the number of non-ignored targets (NaN when every target is ignored, as in PyTorch).
     */
    public static Variable crossEntropy(Variable logits, Tensor targets, long ignoreIndex) {
        return crossEntropy(logits, targets, ignoreIndex, countValid(targets, ignoreIndex));
    }

    /**
     * Sum of the row losses divided by {@code divisor}: with the number of valid targets of a whole
     * accumulated batch as divisor, k micro-batches give the same gradient as one batch of k rows
     * (HF's num_items_in_batch).
     */
    public static Variable crossEntropy(Variable logits, Tensor targets, long ignoreIndex, double divisor) {
        Variable rows = crossEntropyRows(logits, targets, ignoreIndex);
        return Elementwise.scale(Reductions.sum(rows), 1.0 / divisor);
    }

    /** Rows per chunk of the fused linear cross-entropy: [256, 152k] f32 logits are 156 MB, a GEMM wide enough to run at full speed. */
    static final int LINEAR_CE_CHUNK = Integer.getInteger("jswift.linearCeChunk", 256);

    /**
     * Weight rows per vocabulary slice of the fused linear cross-entropy: a head with more rows is walked in slices, so
     * neither a chunk's logit gradient nor a memory-mapped head is ever whole ([256, 16384] f32 logits are 16 MB, a
     * 16384-row bf16 slice of a 3584-wide head 117 MB).
     */
    static final int LINEAR_CE_VOCAB_SLICE = Integer.getInteger("jswift.linearCeVocabSlice", 16384);

    /**
     * {@code crossEntropy(linear(hidden, weight), targets, ignoreIndex, divisor)} for hidden [N, H] and weight
     * [V, H], without ever materializing the [N, V] logits whole ({@link LinearCrossEntropy}), for a frozen LM
     * head and for a trainable F32/F64 one alike; a trainable 16-bit weight takes the plain composition.
     */
    public static Variable linearCrossEntropy(Variable hidden, Variable weight, Tensor targets, long ignoreIndex, double divisor) {
        return linearCrossEntropy(hidden, weight, targets, ignoreIndex, divisor, LINEAR_CE_CHUNK);
    }

    /** {@link #linearCrossEntropy(Variable, Variable, Tensor, long, double)} taking {@code chunkRows} rows at a time. */
    public static Variable linearCrossEntropy(Variable hidden, Variable weight, Tensor targets, long ignoreIndex, double divisor, int chunkRows) {
        return linearCrossEntropy(hidden, weight, targets, ignoreIndex, divisor, chunkRows, LINEAR_CE_VOCAB_SLICE);
    }

    /**
     * {@link #linearCrossEntropy(Variable, Variable, Tensor, long, double)} taking {@code chunkRows} rows at a time and,
     * when the vocabulary is wider than {@code sliceRows}, {@code sliceRows} rows of the weight at a time.
     */
    public static Variable linearCrossEntropy(Variable hidden, Variable weight, Tensor targets, long ignoreIndex, double divisor,
                                              int chunkRows, int sliceRows) {
        if (chunkRows < 1) throw new IllegalArgumentException("chunkRows must be >= 1, got " + chunkRows);
        if (sliceRows < 1) throw new IllegalArgumentException("sliceRows must be >= 1, got " + sliceRows);
        if (hidden.rank() != 2 || weight.rank() != 2 || hidden.size(1) != weight.size(1)) {
            throw new IllegalArgumentException("linearCrossEntropy needs hidden [N, H] and weight [V, H], got "
                    + java.util.Arrays.toString(hidden.shape()) + " and " + java.util.Arrays.toString(weight.shape()));
        }
        if (targets.rank() != 1 || targets.size(0) != hidden.size(0)) {
            throw new IllegalArgumentException("targets of shape " + java.util.Arrays.toString(targets.shape())
                    + " do not match " + hidden.size(0) + " rows of hidden states");
        }
        boolean accumulable = hidden.dtype() == weight.dtype() && (weight.dtype() == DType.F32 || weight.dtype() == DType.F64);
        if (weight.requiresGrad() && !accumulable) { // e.g. a 16-bit weight taking gradients: the plain composition
            return crossEntropy(LinearAlgebra.linear(hidden, weight, null), targets, ignoreIndex, divisor);
        }
        return Autograd.apply(new LinearCrossEntropy(targets, ignoreIndex, divisor, chunkRows, sliceRows), hidden, weight);
    }

    /**
     * Per-row log-probabilities [N] of {@code targets} under softmax(hidden·Wᵀ) for hidden [N, H] and weight [V, H]
     * (0 where the target is {@code ignoreIndex}), without materializing the [N, V] logits ({@link LinearLogProbs});
     * {@code stats} (may be null) receives each row's entropy, mean logit and argmax hit. A trainable 16-bit weight
     * takes the plain composition (logits, then per-row cross-entropy), as {@link #linearCrossEntropy} does.
     */
    public static Variable linearLogProbs(Variable hidden, Variable weight, Tensor targets, long ignoreIndex, TokenStats stats) {
        return linearLogProbs(hidden, weight, targets, ignoreIndex, stats, LINEAR_CE_CHUNK);
    }

    /** {@link #linearLogProbs(Variable, Variable, Tensor, long, TokenStats)} taking {@code chunkRows} rows at a time. */
    public static Variable linearLogProbs(Variable hidden, Variable weight, Tensor targets, long ignoreIndex, TokenStats stats, int chunkRows) {
        if (chunkRows < 1) throw new IllegalArgumentException("chunkRows must be >= 1, got " + chunkRows);
        if (hidden.rank() != 2 || weight.rank() != 2 || hidden.size(1) != weight.size(1)) {
            throw new IllegalArgumentException("linearLogProbs needs hidden [N, H] and weight [V, H], got "
                    + java.util.Arrays.toString(hidden.shape()) + " and " + java.util.Arrays.toString(weight.shape()));
        }
        if (targets.rank() != 1 || targets.size(0) != hidden.size(0)) {
            throw new IllegalArgumentException("targets of shape " + java.util.Arrays.toString(targets.shape())
                    + " do not match " + hidden.size(0) + " rows of hidden states");
        }
        boolean accumulable = hidden.dtype() == weight.dtype() && (weight.dtype() == DType.F32 || weight.dtype() == DType.F64);
        if (weight.requiresGrad() && !accumulable) {
            Variable logits = LinearAlgebra.linear(hidden, weight, null);
            if (stats != null) stats.record(logits.value(), targets, ignoreIndex);
            return Elementwise.scale(crossEntropyRows(logits, targets, ignoreIndex), -1.0);
        }
        return Autograd.apply(new LinearLogProbs(targets, ignoreIndex, chunkRows, stats), hidden, weight);
    }

    /** Number of targets different from {@code ignoreIndex}. */
    public static long countValid(Tensor targets, long ignoreIndex) {
        long n = 0;
        for (long t : targets.toLongArray()) if (t != ignoreIndex) n++;
        return n;
    }

    record CrossEntropy(Tensor targets, long ignoreIndex) implements Function {
        @Override
        public Tensor[] constants() { return new Tensor[]{targets}; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            FusedResults.CrossEntropy r = in[0].backend().crossEntropy(in[0], targets, ignoreIndex);
            ctx.save(in[0], r.logSumExp());
            return r.losses();
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            return new Tensor[]{ctx.backend().crossEntropyBackward(g, ctx.saved(0), targets, ctx.saved(1), ignoreIndex)};
        }
    }
}
