package io.jswift.train.pref;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.autograd.ops.Views;
import io.jswift.models.decoder.DecoderLm;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.train.encode.Batch;

/**
 * Per-sequence log-probabilities of the completion tokens of a collated batch (S = sequences, N = completion tokens
 * of the whole batch): sums [S] = Σ over each sequence's completion tokens of log p(token | prefix) (TRL's
 * selective_log_softmax summed over the completion mask), and counts [S] of completion tokens, so means = sums /
 * counts. Only the N completion rows of the final hidden states go through the LM head, and a plain head (tied
 * embeddings, or lm_head without adapter or bias) runs chunked ({@link Losses#linearLogProbs}): the [tokens, vocab]
 * logits never exist.
 *
 * @param sums   [S] differentiable when the model takes gradients
 * @param counts completion tokens per sequence (after the shift: labels[j] != -100 for j >= 1)
 * @param tokenRow the sequence of each of the N completion tokens, in order
 * @param stats  entropy / mean logit / argmax hit of each completion token (null when not asked for)
 * @param meanLogits per sequence, the mean of its logits over every position (padding included) and the vocabulary:
 *                   what TRL's CPO / ORPO trainers log as logits/chosen and logits/rejected (null when not asked for)
 */
public record CompletionLogProbs(Variable sums, long[] counts, int[] tokenRow, TokenStats stats, double[] meanLogits) {
    /** Runs the model on {@code batch} (already on the model's device) and reads the completion log-probs. */
    public static CompletionLogProbs of(DecoderLm model, Batch batch, boolean checkpoint, boolean withStats) {
        return of(model, batch, checkpoint, withStats, false);
    }

    /** As {@link #of(DecoderLm, Batch, boolean, boolean)}, with {@link #meanLogits} when {@code withMeanLogits}. */
    public static CompletionLogProbs of(DecoderLm model, Batch batch, boolean checkpoint, boolean withStats, boolean withMeanLogits) {
        Variable hidden = model.hiddenStates(batch.decoderInput(checkpoint));
        int s = batch.rows(), t = batch.width(), c = hidden.size(2);
        long[] shifted = CausalLmLoss.shiftLeft(batch.labels()).toLongArray();
        int n = 0;
        for (long v : shifted) if (v != Losses.IGNORE_INDEX) n++;
        long[] index = new long[n], targets = new long[n], counts = new long[s];
        int[] tokenRow = new int[n];
        float[] member = new float[s * n]; // [S, N]: 1 where token k belongs to sequence r
        for (int j = 0, k = 0; j < shifted.length; j++) {
            if (shifted[j] == Losses.IGNORE_INDEX) continue;
            int row = j / t;
            index[k] = j;
            targets[k] = shifted[j];
            tokenRow[k] = row;
            counts[row]++;
            member[row * n + k] = 1f;
            k++;
        }
        if (n == 0) throw new IllegalArgumentException("no completion tokens in the batch");
        Tensor idx = Tensor.ofLongs(index, n).to(hidden.value().device());
        Variable rows = Views.indexSelect(Views.reshape(hidden, s * t, c), 0, idx); // [N, C]
        Tensor target = Tensor.ofLongs(targets, n).to(hidden.value().device());
        TokenStats stats = withStats ? new TokenStats(n) : null;
        Variable logps = tokenLogProbs(model, rows, target, stats); // [N]
        Tensor m = Tensor.of(member, s, n).to(logps.dtype()).to(logps.value().device());
        Variable sums = Views.reshape(LinearAlgebra.matmul(Variable.constant(m), Views.reshape(logps, n, 1), false, false), s);
        return new CompletionLogProbs(sums, counts, tokenRow, stats, withMeanLogits ? meanLogits(model, hidden.value(), s, t) : null);
    }

    /**
     * Per sequence, the mean logit over its T positions and the vocabulary, without the logits: the mean over the
     * vocabulary of h·Wᵀ is h·mean(W rows), one [S·T, C]·[C] product.
     */
    private static double[] meanLogits(DecoderLm model, Tensor hidden, int s, int t) {
        Tensor h = hidden.reshape(s * t, hidden.size(2));
        Backend be = h.backend();
        Variable head = headWeight(model);
        double[] perPosition;
        if (head != null) {
            Tensor mean = be.reduce(ReduceOp.MEAN, head.value(), new int[]{0}, true); // [1, C]
            perPosition = be.matmul(h, mean.dtype() == h.dtype() ? mean : mean.to(h.dtype()), false, true).toDoubleArray();
        } else {
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                Tensor logits = ((LinearLayer) model.children().get("lm_head")).forward(Variable.constant(h)).value();
                perPosition = be.reduce(ReduceOp.MEAN, logits, new int[]{1}, false).toDoubleArray();
            }
        }
        double[] out = new double[s];
        for (int i = 0; i < s * t; i++) out[i / t] += perPosition[i] / t;
        return out;
    }

    /** The weight of a plain LM head (tied embeddings, or lm_head without adapter or bias), else null. */
    private static Variable headWeight(DecoderLm model) {
        if (model.config().tieWordEmbeddings()) return model.namedParameters().get("model.embed_tokens.weight").variable();
        if (model.children().get("lm_head") instanceof Linear plain && plain.bias() == null) return plain.weight().variable();
        return null;
    }

    /** log p(target) per row of the final hidden states [N, C]: chunked through a plain head, else through its logits. */
    private static Variable tokenLogProbs(DecoderLm model, Variable rows, Tensor targets, TokenStats stats) {
        Variable head = headWeight(model);
        if (head != null) return Losses.linearLogProbs(rows, head, targets, Losses.IGNORE_INDEX, stats);
        // an adapted head (lm_head among the LoRA targets): its logits [N, V], as DecoderLm.causalLmLoss does
        Variable logits = ((LinearLayer) model.children().get("lm_head")).forward(rows);
        if (stats != null) stats.record(logits.value(), targets, Losses.IGNORE_INDEX);
        return Elementwise.scale(Losses.crossEntropyRows(logits, targets, Losses.IGNORE_INDEX), -1.0);
    }

    public int sequences() { return counts.length; }
}
