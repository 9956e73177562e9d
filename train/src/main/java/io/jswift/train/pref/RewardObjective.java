package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Encoded;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type rm}: TRL 1.13 RewardTrainer's step. A micro-batch of B pairs is one batch of 2B
 * sequences, chosen first then rejected (its DataCollatorForPreference); the reward of a sequence is the score head
 * at its last non-pad token (transformers' *ForSequenceClassification, with TRL's pad id); the loss is
 * {@link RewardLoss}, a mean over the pairs, which HF Trainer divides by the accumulation steps (TRL sets
 * model_accepts_loss_kwargs = False). Metrics as RewardTrainer appends them (num_tokens, a running total, is logged by the training loop).
 */
public final class RewardObjective implements PairwiseObjective {
    private final DecoderClassifier model;
    private final RewardLoss loss;
    private final boolean gradientCheckpointing;

    public RewardObjective(DecoderClassifier model, RewardLoss loss, boolean gradientCheckpointing) {
        if (model != null && model.numLabels() != 1) {
            throw new IllegalArgumentException("a reward model has one label (num_labels = 1), this classifier has " + model.numLabels());
        }
        this.model = model;
        this.loss = loss;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    /** The rewards [2B] of the pairs' sequences, chosen first then rejected. */
    public Variable rewards(List<PreferencePair> rows, boolean checkpoint) {
        Batch batch = PreferencePair.collate(rows).to(model.device());
        int[] last = new int[2 * rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            last[i] = lastToken(rows.get(i).chosen());
            last[rows.size() + i] = lastToken(rows.get(i).rejected());
        }
        Variable scores = model.pooled(model.decoder().hiddenStates(batch.decoderInput(checkpoint)), last);
        return Views.reshape(scores, last.length);
    }

    private int lastToken(Encoded e) {
        return DecoderClassifier.lastNonPad(e.inputIds(), model.padTokenId());
    }

    @Override
    public Step forward(List<PreferencePair> rows, double normalizer) {
        Variable r = rewards(rows, gradientCheckpointing);
        Variable l = PairwiseObjective.perStep(VectorLoss.apply(x -> loss.evaluate(x, null), r), normalizer);
        long tokens = 0;
        for (PreferencePair p : rows) tokens += p.tokens();
        return new Step(l, tokens, metrics(r.value().toDoubleArray()));
    }

    @Override
    public Evaluation evaluate(List<PreferencePair> rows) {
        double[] x = rewards(rows, false).value().toDoubleArray();
        // HF's evaluation loop repeats a batch's mean loss once per example: eval_loss is the mean over examples
        return new Evaluation(loss.evaluate(x, null).loss() * rows.size(), rows.size(), metrics(x));
    }

    /** RewardTrainer's logged values for one micro-batch, in its order. */
    static Map<String, Double> metrics(double[] x) {
        int b = x.length / 2;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, mean = 0, accuracy = 0, margin = 0;
        for (double v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            mean += v / x.length;
        }
        for (int i = 0; i < b; i++) {
            accuracy += (x[i] > x[b + i] ? 1.0 : 0.0) / b;
            margin += (x[i] - x[b + i]) / b;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("min_reward", min);
        m.put("mean_reward", mean);
        m.put("max_reward", max);
        m.put("accuracy", accuracy);
        m.put("margin", margin);
        return m;
    }
}
