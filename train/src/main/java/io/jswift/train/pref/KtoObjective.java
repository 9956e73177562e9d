package io.jswift.train.pref;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.TokenStats;
import io.jswift.models.CausalLm;
import io.jswift.train.encode.Batch;
import io.jswift.train.run.Objective;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type kto}: TRL 1.13 KTOTrainer's step (_compute_loss). The B rows of a micro-batch are one
 * batch; for the kto loss, the KL term is estimated from TRL's mismatched pairs (row i's prompt with row i - 1's
 * completion, {@link KtoExample#collateKl}) as the mean over them of policy minus reference log-prob sums, without
 * gradients, clamped at 0; the {@link KtoLoss} is a mean over the rows, which HF Trainer divides by the accumulation
 * steps (TRL sets model_accepts_loss_kwargs = False). Metrics as KTOTrainer appends them, each only when its rows exist
 * (num_tokens, a running total, is logged by the training loop).
 */
public final class KtoObjective implements Objective<KtoExample> {
    private final CausalLm policy;
    private final Reference reference;
    private final KtoLoss loss;
    private final int maxLength;
    private final boolean gradientCheckpointing;

    /** @param maxLength the cut of each mismatched KL sequence (--max_length) */
    public KtoObjective(CausalLm policy, Reference reference, KtoLoss loss, int maxLength, boolean gradientCheckpointing) {
        this.policy = policy;
        this.reference = reference;
        this.loss = loss;
        this.maxLength = maxLength;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public double normalizer(List<List<KtoExample>> microBatches) {
        return microBatches.size();
    }

    @Override
    public Step forward(List<KtoExample> rows, double normalizer) {
        double kl = kl(rows);
        Batch batch = KtoExample.collate(rows).to(policy.device());
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, gradientCheckpointing, true);
        double[] ref = reference.logProbs(batch);
        boolean[] desirable = labels(rows);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, ref, desirable, kl), lp.sums()), normalizer);
        return new Step(l, batch.tokens(), metrics(lp, ref, desirable, kl));
    }

    @Override
    public Evaluation evaluate(List<KtoExample> rows) {
        double kl = kl(rows);
        Batch batch = KtoExample.collate(rows).to(policy.device());
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, false, true);
        double[] ref = reference.logProbs(batch);
        boolean[] desirable = labels(rows);
        double value = loss.evaluate(lp.sums().value().toDoubleArray(), ref, desirable, kl).loss();
        // HF's evaluation loop repeats a batch's mean loss once per example: eval_loss is the mean over examples
        return new Evaluation(value * rows.size(), rows.size(), metrics(lp, ref, desirable, kl));
    }

    /** TRL's KL estimate: max(0, mean(policy - reference) over the mismatched pairs), detached; 0 without it. */
    double kl(List<KtoExample> rows) {
        // one row pairs with itself, as TRL's rotation of a one-row batch does (training batches are checked to be > 1)
        if (!loss.type().estimatesKl()) return 0;
        Batch klBatch = KtoExample.collateKl(rows, maxLength).to(policy.device());
        double[] policyKl;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            policyKl = CompletionLogProbs.of(policy, klBatch, false, false).sums().value().toDoubleArray();
        }
        double[] refKl = reference.logProbs(klBatch);
        double mean = 0;
        for (int i = 0; i < policyKl.length; i++) mean += (policyKl[i] - refKl[i]) / policyKl.length;
        return Math.max(0, mean);
    }

    private static boolean[] labels(List<KtoExample> rows) {
        boolean[] out = new boolean[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = rows.get(i).desirable();
        return out;
    }

    /** KTOTrainer's logged values for one micro-batch, in its order. */
    Map<String, Double> metrics(CompletionLogProbs lp, double[] ref, boolean[] desirable, double kl) {
        double[] x = lp.sums().value().toDoubleArray();
        TokenStats stats = lp.stats();
        int[] rowOf = lp.tokenRow();
        double entropy = 0, chosenLogits = 0, rejectedLogits = 0;
        long chosenTokens = 0, rejectedTokens = 0;
        for (int k = 0; k < rowOf.length; k++) {
            entropy += stats.entropy(k);
            if (desirable[rowOf[k]]) {
                chosenLogits += stats.meanLogit(k);
                chosenTokens++;
            } else {
                rejectedLogits += stats.meanLogit(k);
                rejectedTokens++;
            }
        }
        int chosen = 0, rejected = 0;
        double rc = 0, rr = 0, lc = 0, lr = 0;
        for (int i = 0; i < x.length; i++) {
            double reward = loss.beta() * (x[i] - ref[i]);
            if (desirable[i]) {
                chosen++;
                rc += reward;
                lc += x[i];
            } else {
                rejected++;
                rr += reward;
                lr += x[i];
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("kl", kl);
        m.put("entropy", rowOf.length == 0 ? 0 : entropy / rowOf.length);
        if (chosenTokens > 0) m.put("logits/chosen", chosenLogits / chosenTokens);
        if (rejectedTokens > 0) m.put("logits/rejected", rejectedLogits / rejectedTokens);
        if (chosen > 0) {
            m.put("rewards/chosen", rc / chosen);
            m.put("logps/chosen", lc / chosen);
        }
        if (rejected > 0) {
            m.put("rewards/rejected", rr / rejected);
            m.put("logps/rejected", lr / rejected);
        }
        if (chosen > 0 && rejected > 0) m.put("rewards/margins", rc / chosen - rr / rejected);
        return m;
    }
}
