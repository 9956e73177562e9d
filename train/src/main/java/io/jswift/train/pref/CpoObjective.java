package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type cpo | simpo}: TRL 1.13 CPOTrainer's step, reference-free. The batch is collated
 * as DPO's ([chosen..., rejected...], one shared-prefix row per pair where the model allows it: {@link PairTargets});
 * the loss is {@link CpoLoss}, a mean over the pairs divided by the
 * accumulation steps as HF Trainer does. Metrics as CPOTrainer stores them per micro-batch: rewards (β · logp),
 * logps, logits (the mean of the whole logits tensor of the chosen / rejected rows, padding included) and nll_loss.
 */
public final class CpoObjective implements PairwiseObjective {
    private final CausalLm policy;
    private final CpoLoss loss;
    private final boolean gradientCheckpointing;

    public CpoObjective(CausalLm policy, CpoLoss loss, boolean gradientCheckpointing) {
        this.policy = policy;
        this.loss = loss;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public Step forward(List<PreferencePair> rows, double normalizer) {
        return step(collate(rows), normalizer);
    }

    /** The step on pairs already laid out ({@link PairTargets#CPO}, either layout; on the policy's device). */
    Step step(ScoredTokens batch, double normalizer) {
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, gradientCheckpointing, false);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, lp.counts()), lp.sums()), normalizer);
        return new Step(l, batch.tokens(), metrics(lp));
    }

    @Override
    public Evaluation evaluate(List<PreferencePair> rows) {
        CompletionLogProbs lp = CompletionLogProbs.of(policy, collate(rows), false, false);
        double value = loss.evaluate(lp.sums().value().toDoubleArray(), lp.counts()).loss();
        return new Evaluation(value * rows.size(), rows.size(), metrics(lp));
    }

    /** One shared-prefix row per pair where the model allows it, else TRL's two rows: the same sums and metrics. */
    ScoredTokens collate(List<PreferencePair> rows) {
        return PairTargets.CPO.collate(rows, policy.sharesPrefixes()).to(policy.device());
    }

    /** CPOTrainer.get_batch_loss_metrics' values, in its order. */
    Map<String, Double> metrics(CompletionLogProbs lp) {
        double[] sums = lp.sums().value().toDoubleArray(), logps = loss.logps(sums, lp.counts()), meanLogits = lp.meanLogits();
        int b = logps.length / 2;
        double rc = 0, rr = 0, acc = 0, margin = 0, lc = 0, lr = 0, gc = 0, gr = 0;
        for (int i = 0; i < b; i++) {
            double chosen = loss.beta() * logps[i], rejected = loss.beta() * logps[b + i];
            rc += chosen / b;
            rr += rejected / b;
            acc += (chosen > rejected ? 1.0 : 0.0) / b;
            margin += (chosen - rejected) / b;
            lc += logps[i] / b;
            lr += logps[b + i] / b;
            gc += meanLogits[i] / b;
            gr += meanLogits[b + i] / b;
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
        m.put("nll_loss", loss.cpoAlpha() == 0 ? 0 : CpoLoss.nll(sums, lp.counts()));
        return m;
    }
}
