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
 * @param meanLogits per sequence, the mean of its logits over the positions asked for (padding included) and the
 *                   vocabulary: what TRL's CPO / ORPO trainers log as logits/chosen and logits/rejected (or null)
 * @param wideSums   [S] the sums over the wider set of tokens of {@link Options#wideLabels} (ORPO's NLL over the
 *                   whole chosen sequence), or null
 * @param wideCounts tokens per sequence in that wider set, or null
 */
public record CompletionLogProbs(Variable sums, long[] counts, int[] tokenRow, TokenStats stats, double[] meanLogits, Variable wideSums,
                                 long[] wideCounts) {
    /**
     * What to compute besides the completion sums.
     *
     * @param checkpoint       recompute each layer in backward (gradient checkpointing)
     * @param stats            per-token entropy / mean logit / argmax hit (DPO's metrics)
     * @param meanLogitsDrop   null: no meanLogits; k: the mean over each sequence's first T - k positions (CPO 0, ORPO 1)
     * @param wideLabels       labels [S, T] marking a superset of the completion tokens to sum as well, or null
     */
    public record Options(boolean checkpoint, boolean stats, Integer meanLogitsDrop, Tensor wideLabels) {
        public Options {
            if (stats && wideLabels != null) throw new IllegalArgumentException("token stats cover completion tokens only");
        }
    }

    /** Runs the model on {@code batch} (already on the model's device) and reads the completion log-probs. */
    public static CompletionLogProbs of(CausalLm model, Batch batch, boolean checkpoint, boolean withStats) {
        return of(model, ScoredTokens.of(batch), checkpoint, withStats);
    }

    /**
     * Runs the model on {@code scored}'s input (already on the model's device) and reads the log-probs of its scored
     * tokens: only their hidden rows go through the LM head.
     */
    public static CompletionLogProbs of(CausalLm model, ScoredTokens scored, boolean checkpoint, boolean withStats) {
        Variable hidden = model.hiddenStates(scored.input(checkpoint));
        int s = scored.sequences(), n = scored.count(), c = hidden.size(2);
        int[] tokenRow = scored.sequenceOf();
        float[] member = new float[s * n]; // [S, N]: 1 where token k counts for sequence r
        for (int k = 0; k < n; k++) member[tokenRow[k] * n + k] = 1f;
        Tensor idx = Tensor.ofLongs(scored.hiddenRows(), n).to(hidden.value().device());
        Variable rows = Views.indexSelect(Views.reshape(hidden, scored.rows() * scored.width(), c), 0, idx); // [N, C]
        Tensor target = Tensor.ofLongs(scored.targets(), n).to(hidden.value().device());
        TokenStats stats = withStats ? new TokenStats(n) : null;
        Variable logps = Views.reshape(tokenLogProbs(model, rows, target, stats, 1), n, 1); // [N, 1]
        return new CompletionLogProbs(groupSums(member, s, n, logps), scored.counts(), tokenRow.clone(), stats, null, null, null);
    }

    /** With {@code options} (CPO's / ORPO's mean logits over positions, ORPO's wider label set need the [S, T] rows of a batch). */
    public static CompletionLogProbs of(CausalLm model, Batch batch, Options options) {
        Variable hidden = model.hiddenStates(batch.decoderInput(options.checkpoint()));
        int s = batch.rows(), t = batch.width(), c = hidden.size(2);
        long[] completion = CausalLmLoss.shiftLeft(batch.labels()).toLongArray();
        long[] scored = options.wideLabels() == null ? completion : CausalLmLoss.shiftLeft(options.wideLabels()).toLongArray();
        int n = 0;
        for (int j = 0; j < scored.length; j++) {
            if (completion[j] != Losses.IGNORE_INDEX && completion[j] != scored[j]) {
                throw new IllegalArgumentException("the wide labels must contain every completion token (position " + j + ")");
            }
            if (scored[j] != Losses.IGNORE_INDEX) n++;
        }
        long[] index = new long[n], targets = new long[n], counts = new long[s], wideCounts = new long[s];
        int[] tokenRow = new int[n];
        float[] member = new float[s * n], wideMember = new float[s * n]; // [S, N]: 1 where token k counts for sequence r
        for (int j = 0, k = 0; j < scored.length; j++) {
            if (scored[j] == Losses.IGNORE_INDEX) continue;
            int row = j / t;
            index[k] = j;
            targets[k] = scored[j];
            tokenRow[k] = row;
            wideCounts[row]++;
            wideMember[row * n + k] = 1f;
            if (completion[j] != Losses.IGNORE_INDEX) {
                counts[row]++;
                member[row * n + k] = 1f;
            }
            k++;
        }
        if (n == 0) throw new IllegalArgumentException("no completion tokens in the batch");
        Tensor idx = Tensor.ofLongs(index, n).to(hidden.value().device());
        Variable rows = Views.indexSelect(Views.reshape(hidden, s * t, c), 0, idx); // [N, C]
        Tensor target = Tensor.ofLongs(targets, n).to(hidden.value().device());
        TokenStats stats = options.stats() ? new TokenStats(n) : null;
        Variable logps = Views.reshape(tokenLogProbs(model, rows, target, stats, 1), n, 1); // [N, 1]
        Variable sums = groupSums(member, s, n, logps), wideSums = options.wideLabels() == null ? null : groupSums(wideMember, s, n, logps);
        double[] meanLogits = options.meanLogitsDrop() == null ? null : meanLogits(model, hidden.value(), s, t, options.meanLogitsDrop());
        return new CompletionLogProbs(sums, counts, tokenRow, stats, meanLogits, wideSums, options.wideLabels() == null ? null : wideCounts);
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
     * Per sequence, the mean logit over its first T - drop positions and the vocabulary, without the logits: the mean
     * over the vocabulary of h·Wᵀ is h·mean(W rows), one [S·T, C]·[C] product.
     */
    private static double[] meanLogits(CausalLm model, Tensor hidden, int s, int t, int drop) {
        Tensor h = hidden.reshape(s * t, hidden.size(2));
        Backend be = h.backend();
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
        int kept = t - drop;
        if (kept < 1) throw new IllegalArgumentException("no position left for the mean logit");
        double[] out = new double[s];
        for (int i = 0; i < s * t; i++) if (i % t < kept) out[i / t] += perPosition[i] / kept;
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
