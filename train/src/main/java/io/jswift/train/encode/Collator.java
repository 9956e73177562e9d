package io.jswift.train.encode;

import io.jswift.models.vision.VisionInput;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * Right-pads encoded rows into a {@link Batch}. With causal attention right padding never influences real
 * tokens and its labels are -100. When any row is packed the batch carries position and segment ids: packed
 * rows their own, unpacked rows positions 0..n-1 in segment 1, and padding a segment of its own (0) with
 * positions counting from 0, so no real token attends to it.
 */
public final class Collator {
    public static final int PAD_ID = 0;
    public static final int PAD_SEGMENT = 0;

    private Collator() {}

    public static Batch collate(List<Encoded> rows) {
        if (rows.isEmpty()) throw new IllegalArgumentException("cannot collate an empty batch");
        int b = rows.size(), t = 0;
        boolean packed = false;
        for (Encoded e : rows) {
            t = Math.max(t, e.length());
            packed |= e.isPacked();
        }
        long[] ids = new long[b * t], labels = new long[b * t];
        Arrays.fill(ids, PAD_ID);
        Arrays.fill(labels, Encoded.IGNORE);
        long[] positions = packed ? new long[b * t] : null;
        int[] segments = packed ? new int[b * t] : null;
        long tokens = 0, targets = 0;
        for (int r = 0; r < b; r++) {
            Encoded e = rows.get(r);
            int n = e.length(), base = r * t;
            for (int j = 0; j < n; j++) {
                ids[base + j] = e.inputIds()[j];
                labels[base + j] = e.labels()[j];
            }
            if (packed) {
                for (int j = 0; j < n; j++) {
                    positions[base + j] = e.isPacked() ? e.positionIds()[j] : j;
                    segments[base + j] = e.isPacked() ? e.segmentIds()[j] : 1;
                }
                for (int j = n; j < t; j++) {
                    positions[base + j] = j - n;
                    segments[base + j] = PAD_SEGMENT;
                }
            }
            tokens += n;
            targets += e.targets();
        }
        return new Batch(Tensor.ofLongs(ids, b, t), Tensor.ofLongs(labels, b, t),
                packed ? Tensor.ofLongs(positions, b, t) : null, packed ? Tensor.ofInts(segments, b, t) : null, tokens, targets,
                VisionInput.concat(rows.stream().map(Encoded::images).toList()));
    }
}
