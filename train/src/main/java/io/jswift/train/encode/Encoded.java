package io.jswift.train.encode;

import io.jswift.models.vision.VisionInput;

/**
 * One training sequence: token ids and labels of equal length, label {@link #IGNORE} (-100, HF's ignore_index)
 * where no loss is taken. Labels are not yet shifted: as in HF, the logits at position j are scored against
 * labels[j + 1]. A packed row (several samples in one sequence) also has positionIds restarting at 0 for
 * each sample and segmentIds 1, 2, 3, ... telling the samples apart; both are null for a single sample. images: the
 * pixel values and grids of the images whose tokens the ids hold, in order (null: none).
 */
public record Encoded(int[] inputIds, int[] labels, int[] positionIds, int[] segmentIds, VisionInput images) {
    public static final int IGNORE = -100;

    public Encoded {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but input ids " + inputIds.length);
        }
        if ((positionIds == null) != (segmentIds == null)) throw new IllegalArgumentException("position ids and segment ids come together");
        if (positionIds != null && (positionIds.length != inputIds.length || segmentIds.length != inputIds.length)) {
            throw new IllegalArgumentException("position / segment ids must have one entry per token (" + inputIds.length + ")");
        }
    }

    /** A single (unpacked) sample. */
    public Encoded(int[] inputIds, int[] labels) {
        this(inputIds, labels, null, null, null);
    }

    /** A row without images. */
    public Encoded(int[] inputIds, int[] labels, int[] positionIds, int[] segmentIds) {
        this(inputIds, labels, positionIds, segmentIds, null);
    }

    public int length() { return inputIds.length; }

    public boolean isPacked() { return segmentIds != null; }

    /** Positions that carry loss after HF's shift: labels[j] != -100 for j >= 1 (labels[0] is never a target). */
    public long targets() {
        long n = 0;
        for (int j = 1; j < labels.length; j++) if (labels[j] != IGNORE) n++;
        return n;
    }
}
