package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.tensor.Tensor;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Encoded;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type orpo}: TRL 1.13 ORPOTrainer's step, reference-free. The batch is collated as DPO's;
 * the completion log-prob sums give the odds ratio, and the chosen rows are also scored on every real token for the
 * NLL ({@link OrpoLoss}). Metrics as ORPOTrainer stores them: rewards (β · mean logp), logps, logits (the mean of the
 * logits tensor but its last position), nll_loss, log_odds_ratio, log_odds_chosen.
 */
public final class OrpoObjective implements PairwiseObjective {
    private final CausalLm policy;
    private final OrpoLoss loss;
    private final boolean gradientCheckpointing;

    public OrpoObjective(CausalLm policy, OrpoLoss loss, boolean gradientCheckpointing) {
        this.policy = policy;
        this.loss = loss;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public Step forward(List<PreferencePair> rows, double normalizer) {
        Scored s = score(rows, gradientCheckpointing);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, s.lp().counts(), s.wideCounts()), s.x()), normalizer);
        return new Step(l, s.tokens(), metrics(s));
    }

    @Override
    public Evaluation evaluate(List<PreferencePair> rows) {
        Scored s = score(rows, false);
        double value = loss.evaluate(s.x().value().toDoubleArray(), s.lp().counts(), s.wideCounts()).loss();
        return new Evaluation(value * rows.size(), rows.size(), metrics(s));
    }

    /** x = [completion sums (2B), chosen whole-sequence sums (B)]. */
    private record Scored(CompletionLogProbs lp, Variable x, long[] wideCounts, long tokens) {}

    private Scored score(List<PreferencePair> rows, boolean checkpoint) {
        int b = rows.size();
        Batch batch = PreferencePair.collate(rows);
        Tensor wide = wideLabels(rows, batch);
        batch = batch.to(policy.device());
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, new CompletionLogProbs.Options(checkpoint, false, 1, wide.to(policy.device())));
        Variable x = Views.concat(List.of(lp.sums(), Views.narrow(lp.wideSums(), 0, 0, b)), 0);
        return new Scored(lp, x, Arrays.copyOf(lp.wideCounts(), b), batch.tokens());
    }

    /** Chosen rows: every real token (TRL: input_ids where attention_mask is 1); rejected rows: their completion. */
    static Tensor wideLabels(List<PreferencePair> rows, Batch batch) {
        int b = rows.size(), t = batch.width();
        long[] labels = batch.labels().toLongArray();
        for (int i = 0; i < b; i++) {
            Encoded chosen = rows.get(i).chosen();
            for (int j = 0; j < chosen.length(); j++) labels[i * t + j] = chosen.inputIds()[j];
        }
        return Tensor.ofLongs(labels, 2 * b, t);
    }

    /** ORPOTrainer.get_batch_loss_metrics' values, in its order. */
    private Map<String, Double> metrics(Scored s) {
        double[] x = s.x().value().toDoubleArray(), meanLogits = s.lp().meanLogits();
        long[] counts = s.lp().counts();
        int b = x.length / 3;
        double rc = 0, rr = 0, acc = 0, margin = 0, lc = 0, lr = 0, gc = 0, gr = 0, ratio = 0, odds = 0;
        for (int i = 0; i < b; i++) {
            double c = x[i] / counts[i], r = x[b + i] / counts[b + i];
            double chosen = loss.beta() * c, rejected = loss.beta() * r, o = OrpoLoss.logOdds(c, r);
            rc += chosen / b;
            rr += rejected / b;
            acc += (chosen > rejected ? 1.0 : 0.0) / b;
            margin += (chosen - rejected) / b;
            lc += c / b;
            lr += r / b;
            gc += meanLogits[i] / b;
            gr += meanLogits[b + i] / b;
            ratio += -DpoLoss.softplus(-o) / b;
            odds += o / b;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("rewards/chosen", rc);
        m.put("rewards/rejected", rr);
        m.put("rewards/accuracies", acc);
        m.put("rewards/margins", margin);
        m.put("logps/rejected", lr);
        m.put("logps/chosen", lc);
        m.put("logits/rejected", gr);
        m.put("logits/chosen", gc);
        m.put("nll_loss", OrpoLoss.nll(x, s.wideCounts(), b));
        m.put("log_odds_ratio", ratio);
        m.put("log_odds_chosen", odds);
        return m;
    }
}
