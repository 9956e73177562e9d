package io.jswift.train.encode;

import io.jswift.models.vision.VisionInput;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code --packing}: several samples share one row of at most max_length tokens. Bins are filled by
 * best-fit decreasing (longest sample first, into the fullest bin it fits; ties to the earliest bin), the
 * strategy ms-swift's PackingDataset uses (binpacking.to_constant_volume, arXiv 2404.10830); here over the
 * whole dataset at once rather than in chunks of 1000.
 *
 * <p>In a packed row each sample keeps its own positions (0, 1, ...) and a segment id (1, 2, ...) so attention
 * never crosses samples, and each sample's first label is -100: with HF's shift the last token of one sample
 * would otherwise be trained to predict the first token of the next (transformers' DataCollatorWithFlattening
 * does the same). So every sample's loss terms are exactly those it has on its own.
 */
public final class Packer {
    private Packer() {}

    /** Sample indices per bin; every length must be in [1, capacity]. Deterministic. */
    public static int[][] bestFitDecreasing(int[] lengths, int capacity) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            if (lengths[i] < 1 || lengths[i] > capacity) {
                throw new IllegalArgumentException("sample " + i + " has length " + lengths[i] + ", outside [1, " + capacity + "]");
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> lengths[b] != lengths[a] ? Integer.compare(lengths[b], lengths[a]) : Integer.compare(a, b));
        // open bins keyed by (room left << 32 | bin number): the ceiling of (length << 32) is the fullest bin that fits
        TreeSet<Long> open = new TreeSet<>();
        List<List<Integer>> bins = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        for (int i : order) {
            Long fit = open.ceiling((long) lengths[i] << 32);
            int bin;
            if (fit == null) {
                bin = bins.size();
                bins.add(new ArrayList<>());
                room.add(capacity);
            } else {
                bin = (int) (fit & 0xFFFFFFFFL);
                open.remove(fit);
            }
            bins.get(bin).add(i);
            int left = room.get(bin) - lengths[i];
            room.set(bin, left);
            if (left > 0) open.add(((long) left << 32) | bin);
        }
        int[][] out = new int[bins.size()][];
        for (int b = 0; b < out.length; b++) out[b] = bins.get(b).stream().mapToInt(Integer::intValue).toArray();
        return out;
    }

    /** One packed row of the given (unpacked) samples, in order. */
    public static Encoded pack(List<Encoded> samples) {
        int total = 0;
        for (Encoded s : samples) {
            if (s.isPacked()) throw new IllegalArgumentException("cannot pack an already packed row");
            total += s.length();
        }
        int[] ids = new int[total], labels = new int[total], positions = new int[total], segments = new int[total];
        int at = 0;
        for (int k = 0; k < samples.size(); k++) {
            Encoded s = samples.get(k);
            System.arraycopy(s.inputIds(), 0, ids, at, s.length());
            System.arraycopy(s.labels(), 0, labels, at, s.length());
            labels[at] = Encoded.IGNORE;
            for (int j = 0; j < s.length(); j++) {
                positions[at + j] = j;
                segments[at + j] = k + 1;
            }
            at += s.length();
        }
        return new Encoded(ids, labels, positions, segments, VisionInput.concat(samples.stream().map(Encoded::images).toList()));
    }
}
