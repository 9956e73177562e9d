package io.jswift.train.pref;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.nn.CausalLmLoss;
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
 * @param meanLogits per sequence of {@link ScoredTokens#positions()}, the mean of its logits over those positions
 *                   (padding included) and the vocabulary: what TRL's CPO / ORPO trainers log as logits/chosen and
 *                   logits/rejected (null without positions)
 */
public record CompletionLogProbs(Variable sums, long[] counts, int[] tokenRow, TokenStats stats, double[] meanLogits) {
    /** Runs the model on {@code batch} (already on the model's device) and reads the completion log-probs. */
    public static CompletionLogProbs of(CausalLm model, Batch batch, boolean checkpoint, boolean withStats) {
        return of(model, ScoredTokens.of(batch), checkpoint, withStats);
    }

    /**
     * Runs the model on {@code scored}'s input (already on the model's device) and reads the log-probs of its scored
     * tokens: only their hidden rows go through the LM head (and, for the mean logits, the rows of its positions
     * through one [rows, C]·[C] product).
     */
    public static CompletionLogProbs of(CausalLm model, ScoredTokens scored, boolean checkpoint, boolean withStats) {
        Variable hidden = model.hiddenStates(scored.input(checkpoint));
        int s = scored.sequences(), n = scored.count(), c = hidden.size(2);
        int[] tokenRow = scored.sequenceOf();
        float[] member = new float[s * n]; // [S, N]: 1 where token k counts for sequence r
        for (int k = 0; k < n; k++) member[tokenRow[k] * n + k] = 1f;
        Variable flat = Views.reshape(hidden, scored.rows() * scored.width(), c);
        Tensor idx = Tensor.ofLongs(scored.hiddenRows(), n).to(hidden.value().device());
        Variable rows = Views.indexSelect(flat, 0, idx); // [N, C]
        Tensor target = Tensor.ofLongs(scored.targets(), n).to(hidden.value().device());
        TokenStats stats = withStats ? new TokenStats(n) : null;
        Variable logps = Views.reshape(tokenLogProbs(model, rows, target, stats, 1), n, 1); // [N, 1]
        double[] meanLogits = scored.positions() == null ? null : meanLogits(model, flat.value(), scored.positions());
        return new CompletionLogProbs(groupSums(member, s, n, logps), scored.counts(), tokenRow.clone(), stats, meanLogits);
    }

    /**
     * Per completion token, log softmax(logits / temperature)[token] [N], sequence by sequence in order (TRL's GRPO
     * per_token_logps: the model's logits divided by the sampling temperature). A plain head divides the hidden rows
     * instead ((h / T)·Wᵀ = h·Wᵀ / T) and stays chunked; any other head (adapted, biased, soft-capped) divides its logits.
     */
    public static Variable perToken(CausalLm model, Batch batch, boolean checkpoint, double temperature) {
        return perToken(model, ScoredTokens.of(batch), checkpoint, temperature);
    }

    /**
     * As above for the scored tokens of any input, in their order: a collated batch, or shared-prefix rows holding a
     * prompt once and several of its completions (GRPO).
     */
    public static Variable perToken(CausalLm model, ScoredTokens scored, boolean checkpoint, double temperature) {
        return perToken(model, scored, checkpoint, temperature, null);
    }

    /** As above; {@code stats} (or null) receives each scored token's entropy etc. of softmax(logits / temperature) (GRPO's entropy). */
    public static Variable perToken(CausalLm model, ScoredTokens scored, boolean checkpoint, double temperature, TokenStats stats) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        Variable hidden = model.hiddenStates(scored.input(checkpoint));
        int n = scored.count(), c = hidden.size(2);
        Tensor idx = Tensor.ofLongs(scored.hiddenRows(), n).to(hidden.value().device());
        Variable rows = Views.indexSelect(Views.reshape(hidden, scored.rows() * scored.width(), c), 0, idx); // [N, C]
        return tokenLogProbs(model, rows, Tensor.ofLongs(scored.targets(), n).to(hidden.value().device()), stats, temperature);
    }

    /** member [S, N] · logps [N, 1] → [S]. */
    private static Variable groupSums(float[] member, int s, int n, Variable logps) {
        Tensor m = Tensor.of(member, s, n).to(logps.dtype()).to(logps.value().device());
        return Views.reshape(LinearAlgebra.matmul(Variable.constant(m), logps, false, false), s);
    }

    /**
     * Per sequence, the mean logit over its mapped positions and the vocabulary, without the logits: the mean over
     * the vocabulary of h·Wᵀ is h·mean(W rows), one [rows, C]·[C] product.
     */
    private static double[] meanLogits(CausalLm model, Tensor flatHidden, ScoredTokens.Positions positions) {
        Backend be = flatHidden.backend();
        Tensor h = be.indexSelect(flatHidden, 0, Tensor.ofLongs(positions.rows(), positions.rows().length).to(flatHidden.device()));
        Variable head = model.plainHeadWeight();
        double[] perPosition;
        if (head != null) {
            Tensor mean = be.reduce(ReduceOp.MEAN, head.value(), new int[]{0}, true); // [1, C]
            perPosition = be.matmul(h, mean.dtype() == h.dtype() ? mean : mean.to(h.dtype()), false, true).toDoubleArray();
        } else {
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                Tensor logits = model.logitsFromHidden(Variable.constant(h)).value();
                perPosition = be.reduce(ReduceOp.MEAN, logits, new int[]{1}, false).toDoubleArray();
            }
        }
        int kept = positions.kept();
        double[] out = new double[positions.sequences()];
        for (int i = 0; i < perPosition.length; i++) out[i / kept] += perPosition[i] / kept;
        return out;
    }

    /**
     * log softmax(logits / temperature)[target] per row of the final hidden states [N, C]: chunked through a plain head,
     * else through the model's logits.
     */
    private static Variable tokenLogProbs(CausalLm model, Variable rows, Tensor targets, TokenStats stats, double temperature) {
        Variable head = model.plainHeadWeight();
        if (head != null) {
            Variable scaled = temperature == 1 ? rows : Elementwise.scale(rows, 1 / temperature);
            return Losses.linearLogProbs(scaled, head, targets, Losses.IGNORE_INDEX, stats);
        }
        // an adapted head (lm_head among the LoRA targets) or a soft-capped one: its logits [N, V], as CausalLm.causalLmLoss does
        Variable logits = model.logitsFromHidden(rows);
        if (temperature != 1) logits = Elementwise.scale(logits, 1 / temperature);
        if (stats != null) stats.record(logits.value(), targets, Losses.IGNORE_INDEX);
        return Elementwise.scale(Losses.crossEntropyRows(logits, targets, Losses.IGNORE_INDEX), -1.0);
    }

    public int sequences() { return counts.length; }
}
