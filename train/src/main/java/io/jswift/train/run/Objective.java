package io.jswift.train.run;

import io.jswift.autograd.Variable;

import java.util.List;
import java.util.Map;

/**
 * What a {@link TrainingLoop} optimizes, over examples of type {@code E}: how one optimizer step's micro-batches
 * are normalized, the loss of a micro-batch with the metrics logged beside it, and evaluation. The loop owns
 * everything else (data order, accumulation, clipping, schedules, checkpoints, resume, logging).
 */
public interface Objective<E> {
    /**
     * What every micro-batch loss of one optimizer step is divided by, from all of the step's micro-batches: the
     * causal LM's target count of the whole accumulated batch (HF's num_items_in_batch), or the number of
     * micro-batches for losses that are a mean per batch (HF Trainer divides those by the accumulation steps).
     */
    double normalizer(List<List<E>> microBatches);

    /**
     * How many consecutive optimizer steps train on the same drawn micro-batches: 1 for every objective but GRPO
     * with num_iterations μ > 1 (TRL reuses each generation batch for μ steps, and an epoch has μ times the steps).
     */
    default int iterationsPerBatch() { return 1; }

    /**
     * How many examples one optimizer step draws from the data order, spread as evenly as possible over its
     * {@code accumulation} micro-batches: {@code perDeviceBatch × accumulation} for every objective but GRPO, whose
     * batch sizes count completions and whose step draws the prompts of one generation batch (TRL: a micro-batch
     * need not hold whole prompts; a prompt's completions may fall into several micro-batches).
     */
    default int examplesPerStep(int perDeviceBatch, int accumulation) { return perDeviceBatch * accumulation; }

    /**
     * {@link #normalizer(List)} of the {@code iteration}-th step (0 ≤ iteration &lt; {@link #iterationsPerBatch()}) on
     * the same drawn micro-batches; 0 when they are freshly drawn (also when a run resumes inside such a cycle).
     */
    default double normalizer(List<List<E>> microBatches, int iteration) { return normalizer(microBatches); }

    /**
     * What the objective carries from step to step that a resumed run must get back to continue exactly (e.g. GRPO's
     * generation count and resample stream), saved in trainer_state.json as objective_state; empty when stateless.
     */
    default Map<String, Long> state() { return Map.of(); }

    /** Restores {@link #state()} from a checkpoint (an older checkpoint without it gives an empty map). */
    default void restore(Map<String, Long> state) {}

    /** The loss of one micro-batch, already divided by {@code normalizer}, ready for backward; with its metrics. */
    Step forward(List<E> rows, double normalizer);

    /** One evaluation batch without gradients (the loop has turned dropout off and gradients off). */
    Evaluation evaluate(List<E> rows);

    /**
     * @param tokens  real tokens the micro-batch forwarded (tokens_per_s)
     * @param metrics values logged as the mean over the micro-batches of a logging window (TRL's _metrics), in order
     */
    record Step(Variable loss, long tokens, Map<String, Double> metrics) {}

    /**
     * eval_loss = Σ lossTotal / Σ weight over the evaluation batches (weight 0: the batch has nothing to score);
     * metrics are averaged over the batches and logged with an {@code eval_} prefix.
     */
    record Evaluation(double lossTotal, double weight, Map<String, Double> metrics) {}
}
