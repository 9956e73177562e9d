package io.jswift.train.grpo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Where dynamic sampling draws its extra prompts: an endless pass over the dataset, reshuffled every pass with its own
 * seed (ms-swift's dynamic_resample_iterator: a second seeded sampler over the train set, apart from the training
 * order). Not part of a checkpoint: a resumed run starts this pass afresh.
 */
final class ResamplePrompts implements IntFunction<List<GrpoPrompt>> {
    private final List<GrpoPrompt> prompts;
    private final long seed;
    private final List<Integer> order = new ArrayList<>();
    private int next;
    private long pass;

    ResamplePrompts(List<GrpoPrompt> prompts, long seed) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to resample from");
        this.prompts = List.copyOf(prompts);
        this.seed = seed;
    }

    @Override
    public List<GrpoPrompt> apply(int n) {
        List<GrpoPrompt> out = new ArrayList<>(n);
        while (out.size() < n) {
            if (next == order.size()) {
                order.clear();
                for (int i = 0; i < prompts.size(); i++) order.add(i);
                Collections.shuffle(order, new Random(seed ^ 0x5DEECE66DL ^ pass++ * 0x9E3779B97F4A7C15L));
                next = 0;
            }
            out.add(prompts.get(order.get(next++)));
        }
        return out;
    }
}
