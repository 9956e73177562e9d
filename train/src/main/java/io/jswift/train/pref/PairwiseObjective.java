package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.train.run.Objective;

import java.util.List;

/**
 * A preference objective whose loss is a mean over the pairs of a micro-batch (DPO, CPO / SimPO, ORPO). HF Trainer
 * divides such a loss by the accumulation steps (TRL sets model_accepts_loss_kwargs = False), so the normalizer of a
 * step is its number of micro-batches.
 */
interface PairwiseObjective extends Objective<PreferencePair> {
    @Override
    default double normalizer(List<List<PreferencePair>> microBatches) {
        return microBatches.size();
    }

    /** A micro-batch's mean loss divided by the step's normalizer. */
    static Variable perStep(Variable meanLoss, double normalizer) {
        return normalizer == 1 ? meanLoss : Elementwise.scale(meanLoss, 1.0 / normalizer);
    }
}
