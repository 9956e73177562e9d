package io.jswift.train.run;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The order examples are drawn in: a seeded reshuffle at the start of every epoch (HF's RandomSampler),
 * determined by (seed, examples consumed) alone, so a resumed run continues exactly where the interrupted
 * one stopped.
 */
final class DataOrder {
    private final int n;
    private final long seed;
    private final List<Integer> order = new ArrayList<>();
    private long consumed;
    private long shuffledEpoch = -1;

    DataOrder(int n, long seed) {
        if (n <= 0) throw new IllegalArgumentException("no training examples");
        this.n = n;
        this.seed = seed;
    }

    int next() {
        long epoch = consumed / n;
        if (epoch != shuffledEpoch) {
            order.clear();
            for (int i = 0; i < n; i++) order.add(i);
            Collections.shuffle(order, new Random(seed + epoch));
            shuffledEpoch = epoch;
        }
        int index = order.get((int) (consumed % n));
        consumed++;
        return index;
    }

    /** Continues after {@code count} examples were consumed (resume). */
    void skipTo(long count) {
        if (count < 0) throw new IllegalArgumentException("examples consumed must be >= 0");
        consumed = count;
    }

    long consumed() { return consumed; }

    double epoch() { return (double) consumed / n; }
}
