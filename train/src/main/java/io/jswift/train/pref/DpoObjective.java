package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.models.CausalLm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type dpo}: TRL 1.13 DPOTrainer's step. A micro-batch of B pairs is collated as one batch
 * of 2B sequences, chosen first then rejected (DataCollatorForPreference) — computed as one row per pair whose prompt
 * both replies share ({@link SharedPrefixRows}), the same log-probs for less work — the policy's and the reference's
 * completion log-prob sums give the {@link DpoLoss}, a mean over the pairs; HF Trainer divides such a loss by the
 * accumulation steps (TRL sets model_accepts_loss_kwargs = False), hence the normalizer. Metrics as TRL appends them
 * per micro-batch (num_tokens, a running total, is logged by the training loop).
 */
public final class DpoObjective implements PairwiseObjective {
    private final CausalLm policy;
    private final Reference reference;
    private final DpoLoss loss;
    private final boolean gradientCheckpointing;

    public DpoObjective(CausalLm policy, Reference reference, DpoLoss loss, boolean gradientCheckpointing) {
        this.policy = policy;
        this.reference = reference;
        this.loss = loss;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public Step forward(List<PreferencePair> rows, double normalizer) {
        ScoredTokens batch = collate(rows);
        CompletionLogProbs policyLogps = CompletionLogProbs.of(policy, batch, gradientCheckpointing, true);
        double[] ref = reference.logProbs(batch);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, ref, policyLogps.counts()), policyLogps.sums()), normalizer);
        return new Step(l, batch.tokens(), metrics(policyLogps, ref));
    }

    @Override
    public Evaluation evaluate(List<PreferencePair> rows) {
        ScoredTokens batch = collate(rows);
        CompletionLogProbs policyLogps = CompletionLogProbs.of(policy, batch, false, true);
        double[] ref = reference.logProbs(batch);
        double value = loss.evaluate(policyLogps.sums().value().toDoubleArray(), ref, policyLogps.counts()).loss();
        // HF's evaluation loop repeats a batch's mean loss once per example: eval_loss is the mean over examples
        return new Evaluation(value * rows.size(), rows.size(), metrics(policyLogps, ref));
    }

    /**
     * The pairs on the policy's device: one row per pair with its prompt computed once ({@link SharedPrefixRows}) when
     * both models allow it, else TRL's concatenated batch of chosen and rejected rows. Same log-probs either way.
     */
    private ScoredTokens collate(List<PreferencePair> rows) {
        boolean shared = policy.sharesPrefixes() && reference.sharesPrefixes();
        return PairTargets.COMPLETIONS.collate(rows, shared).to(policy.device());
    }

    /** TRL's logged values for one micro-batch, in the order DPOTrainer appends them. */
    Map<String, Double> metrics(CompletionLogProbs lp, double[] ref) {
        double[] x = lp.sums().value().toDoubleArray();
        int b = x.length / 2;
        TokenStats stats = lp.stats();
        int[] rowOf = lp.tokenRow();
        double entropy = 0, chosenLogits = 0, rejectedLogits = 0;
        long chosenTokens = 0, rejectedTokens = 0, hits = 0;
        for (int k = 0; k < rowOf.length; k++) {
            entropy += stats.entropy(k);
            if (rowOf[k] < b) {
                chosenLogits += stats.meanLogit(k);
                chosenTokens++;
                if (stats.argmaxHit(k)) hits++;
            } else {
                rejectedLogits += stats.meanLogit(k);
                rejectedTokens++;
            }
        }
        double rc = 0, rr = 0, acc = 0, margin = 0, lc = 0, lr = 0;
        for (int i = 0; i < b; i++) {
            double chosenReward = loss.beta() * (x[i] - ref[i]), rejectedReward = loss.beta() * (x[b + i] - ref[b + i]);
            rc += chosenReward / b;
            rr += rejectedReward / b;
            acc += (chosenReward > rejectedReward ? 1.0 : 0.0) / b;
            margin += (chosenReward - rejectedReward) / b;
            lc += x[i] / b;
            lr += x[b + i] / b;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("entropy", rowOf.length == 0 ? 0 : entropy / rowOf.length);
        m.put("logits/chosen", chosenTokens == 0 ? 0 : chosenLogits / chosenTokens);
        m.put("logits/rejected", rejectedTokens == 0 ? 0 : rejectedLogits / rejectedTokens);
        m.put("mean_token_accuracy", chosenTokens == 0 ? 0 : (double) hits / chosenTokens);
        m.put("rewards/chosen", rc);
        m.put("rewards/rejected", rr);
        m.put("rewards/accuracies", acc);
        m.put("rewards/margins", margin);
        m.put("logps/chosen", lc);
        m.put("logps/rejected", lr);
        return m;
    }
}
