package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type orpo}: TRL 1.13 ORPOTrainer's step, reference-free. The batch is collated as DPO's
 * (one shared-prefix row per pair where the model allows it: {@link PairTargets}); the completion log-prob sums give
 * the odds ratio, and the chosen sequences are also scored on every real token for the NLL ({@link OrpoLoss}). Metrics as ORPOTrainer stores them: rewards (β · mean logp), logps, logits (the mean of the
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
        return step(collate(rows), normalizer);
    }

    /** The step on pairs already laid out ({@link PairTargets#ORPO}, either layout; on the policy's device). */
    Step step(ScoredTokens batch, double normalizer) {
        Scored s = score(batch, gradientCheckpointing);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, s.counts(), s.wideCounts()), s.x()), normalizer);
        return new Step(l, s.tokens(), metrics(s));
    }

    @Override
    public Evaluation evaluate(List<PreferencePair> rows) {
        Scored s = score(collate(rows), false);
        double value = loss.evaluate(s.x().value().toDoubleArray(), s.counts(), s.wideCounts()).loss();
        return new Evaluation(value * rows.size(), rows.size(), metrics(s));
    }

    /** x = [completion sums (2B), chosen whole-sequence sums (B)] with their token counts. */
    private record Scored(CompletionLogProbs lp, Variable x, long[] counts, long[] wideCounts, long tokens) {}

    /**
     * The pairs scored with each chosen prompt as a sequence of its own ({@link PairTargets#ORPO}: sums [3B]), one
     * shared-prefix row per pair where the model allows it; a chosen sequence's whole sum is its completion sum plus
     * its prompt sum.
     */
    ScoredTokens collate(List<PreferencePair> rows) {
        return PairTargets.ORPO.collate(rows, policy.sharesPrefixes()).to(policy.device());
    }

    private Scored score(ScoredTokens batch, boolean checkpoint) {
        int b = batch.sequences() / 3;
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, checkpoint, false);
        Variable whole = Elementwise.add(Views.narrow(lp.sums(), 0, 0, b), Views.narrow(lp.sums(), 0, 2 * b, b));
        Variable x = Views.concat(List.of(Views.narrow(lp.sums(), 0, 0, 2 * b), whole), 0);
        long[] counts = lp.counts(), wideCounts = new long[b];
        for (int i = 0; i < b; i++) wideCounts[i] = counts[i] + counts[2 * b + i];
        return new Scored(lp, x, Arrays.copyOf(counts, 2 * b), wideCounts, batch.tokens());
    }

    /** ORPOTrainer.get_batch_loss_metrics' values, in its order. */
    private Map<String, Double> metrics(Scored s) {
        double[] x = s.x().value().toDoubleArray(), meanLogits = s.lp().meanLogits();
        long[] counts = s.counts();
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
