package io.jswift.train.run;

import io.jswift.models.CausalLm;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;

import java.util.List;
import java.util.Map;

/**
 * {@code pt} and {@code sft}: HF's causal-LM loss. Every micro-batch's summed loss is divided by the target count
 * of the whole accumulated batch (HF's num_items_in_batch), so k micro-batches equal one batch of k rows;
 * evaluation is the mean loss per target token.
 */
public final class CausalLmObjective implements Objective<Encoded> {
    private final CausalLm model;
    private final boolean gradientCheckpointing;

    public CausalLmObjective(CausalLm model, boolean gradientCheckpointing) {
        this.model = model;
        this.gradientCheckpointing = gradientCheckpointing;
    }

    @Override
    public double normalizer(List<List<Encoded>> microBatches) {
        long targets = 0;
        for (List<Encoded> rows : microBatches) for (Encoded e : rows) targets += e.targets();
        return Math.max(1, targets);
    }

    @Override
    public Step forward(List<Encoded> rows, double normalizer) {
        Batch batch = Collator.collate(rows).to(model.device()); // collated on the host, then sent where the model is
        return new Step(model.causalLmLoss(batch.decoderInput(gradientCheckpointing), batch.labels(), normalizer), batch.tokens(), Map.of());
    }

    @Override
    public Evaluation evaluate(List<Encoded> rows) {
        Batch batch = Collator.collate(rows);
        if (batch.targets() == 0) return new Evaluation(0, 0, Map.of());
        batch = batch.to(model.device());
        double sum = model.causalLmLoss(batch.decoderInput(false), batch.labels(), 1.0).value().item();
        return new Evaluation(sum, batch.targets(), Map.of());
    }
}
