package io.jswift.train.run;

import io.jswift.tensor.Tensor;

import java.util.List;

/**
 * Right-padded micro-batch: ids [B, T] (pad 0) and labels [B, T] (-100 on padding). With causal attention
 * right padding never influences real tokens, and the padded labels are ignored by the loss.
 */
public record Batch(Tensor inputIds, Tensor labels, long tokens, long targets) {
    public static Batch collate(List<Example> examples) {
        int t = 0;
        for (Example e : examples) t = Math.max(t, e.inputIds().length);
        int b = examples.size();
        long[] ids = new long[b * t], labels = new long[b * t];
        java.util.Arrays.fill(labels, -100);
        long tokens = 0, targets = 0;
        for (int r = 0; r < b; r++) {
            Example e = examples.get(r);
            for (int j = 0; j < e.inputIds().length; j++) {
                ids[r * t + j] = e.inputIds()[j];
                labels[r * t + j] = e.labels()[j];
            }
            tokens += e.inputIds().length;
            targets += e.targets();
        }
        return new Batch(Tensor.ofLongs(ids, b, t), Tensor.ofLongs(labels, b, t), tokens, targets);
    }

    /** One training sequence: ids and labels of equal length (labels -100 where no loss is taken). */
    public record Example(int[] inputIds, int[] labels) {
        /** Positions whose label is predicted (HF shifts: label j+1 is the target of position j). */
        public long targets() {
            long n = 0;
            for (int j = 1; j < labels.length; j++) if (labels[j] != -100) n++;
            return n;
        }
    }
}
