package io.jswift.train.grpo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Where dynamic sampling draws its extra prompts: an endless pass over the dataset, reshuffled every pass with its own
 * seed (ms-swift's dynamic_resample_iterator: a second seeded sampler over the train set, apart from the training
 * order). Its position is the number of prompts handed out, which a checkpoint keeps ({@link #consumed},
 * {@link #skipTo}): a resumed run goes on drawing where the interrupted one stopped.
 */
public final class ResamplePrompts implements IntFunction<List<GrpoPrompt>> {
    private final List<GrpoPrompt> prompts;
    private final long seed;
    private final List<Integer> order = new ArrayList<>();
    private long consumed;
    private long shuffledPass = -1;

    public ResamplePrompts(List<GrpoPrompt> prompts, long seed) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to resample from");
        this.prompts = List.copyOf(prompts);
        this.seed = seed;
    }

    @Override
    public List<GrpoPrompt> apply(int n) {
        List<GrpoPrompt> out = new ArrayList<>(n);
        while (out.size() < n) {
            long pass = consumed / prompts.size();
            if (pass != shuffledPass) {
                order.clear();
                for (int i = 0; i < prompts.size(); i++) order.add(i);
                Collections.shuffle(order, new Random(seed ^ 0x5DEECE66DL ^ pass * 0x9E3779B97F4A7C15L));
                shuffledPass = pass;
            }
            out.add(prompts.get(order.get((int) (consumed % prompts.size()))));
            consumed++;
        }
        return out;
    }

    /** Prompts handed out so far. */
    public long consumed() { return consumed; }

    /** Continues after {@code count} prompts were handed out (resume). */
    public void skipTo(long count) {
        if (count < 0) throw new IllegalArgumentException("prompts drawn must be >= 0, got " + count);
        consumed = count;
    }
}
