package io.jswift.train.grpo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * DAPO's dynamic sampling as ms-swift's {@code --dynamic_sample true --max_resample_times N} does it
 * (GRPOTrainer._dynamic_sampling): groups whose rewards all agree (std 0: zero advantages, no signal) are dropped;
 * while fewer than a generation batch of groups remain, a fresh batch of prompts (from their own seeded pass over the
 * dataset, ms-swift's dynamic_resample_iterator) is sampled and scored, its informative groups appended; the first
 * generation batch's worth of them trains. If {@code maxResampleTimes} resamples do not fill the batch, the original
 * batch trains unchanged (ms-swift, with a warning). One difference: ms-swift's loop samples its last resample without
 * looking at it; here every resample's groups count.
 *
 * @param draw     the next n prompts for a resample (its position is checkpointed)
 * @param warnings where the "not filled" warning goes
 */
public record DynamicSampling(int maxResampleTimes, ResamplePrompts draw, Consumer<String> warnings) {
    public DynamicSampling {
        if (maxResampleTimes < 0) throw new IllegalArgumentException("--max_resample_times must be >= 0, got " + maxResampleTimes);
    }

    /** The batch that trains: {@code first}'s informative groups topped up from resamples ({@code resample}: r → the r-th, 1-based). */
    GenerationBatch select(GenerationBatch first, int numGenerations, int functions, IntFunction<GenerationBatch> resample) {
        int wanted = first.groups();
        List<GenerationBatch.Group> kept = new ArrayList<>();
        GenerationBatch batch = first;
        for (int r = 0; ; r++) {
            for (int g = 0; g < batch.groups() && kept.size() < wanted; g++) {
                if (!batch.constant(g, numGenerations)) kept.add(new GenerationBatch.Group(batch, g));
            }
            if (kept.size() >= wanted) return kept.size() == wanted && batch == first ? first : GenerationBatch.of(kept, numGenerations, functions);
            if (r == maxResampleTimes) break;
            batch = resample.apply(r + 1);
        }
        warnings.accept("dynamic sampling: groups with reward std 0 remain after " + maxResampleTimes + " resamples; training on the original batch");
        return first;
    }
}
