package io.jswift.train.pref;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.Device;
import io.jswift.train.encode.Batch;
import io.jswift.nn.CausalLmLoss;
import io.jswift.autograd.ops.Losses;

/**
 * A model input and the completion tokens to score in it: completion token k (of N, sequence by sequence in order)
 * is {@code targets[k]}, predicted by the final hidden state at flat row {@code hiddenRows[k]} of the input's
 * [rows·width] positions, and belongs to sequence {@code sequenceOf[k]} of {@code sequences}. A collated batch has
 * one sequence per row and scores position j - 1 for token j ({@link #of(Batch)}); a shared-prefix input packs
 * several sequences into a row ({@link SharedPrefixRows}).
 *
 * @param input     the model input (without gradient checkpointing: see {@link #input(boolean)})
 * @param tokens    the real tokens of all sequences, as the unshared batch counts them (num_tokens)
 * @param positions where the positions of TRL's padded batch lie in this input, or null ({@link PairTargets})
 */
public record ScoredTokens(DecoderInput input, long[] hiddenRows, long[] targets, int[] sequenceOf, int sequences, long tokens,
                           Positions positions) {
    public ScoredTokens {
        if (hiddenRows.length != targets.length || sequenceOf.length != targets.length) {
            throw new IllegalArgumentException("one hidden row, target and sequence per scored token");
        }
        if (targets.length == 0) throw new IllegalArgumentException("no completion tokens in the batch");
    }

    public ScoredTokens(DecoderInput input, long[] hiddenRows, long[] targets, int[] sequenceOf, int sequences, long tokens) {
        this(input, hiddenRows, targets, sequenceOf, sequences, tokens, null);
    }

    /**
     * The first {@code kept} positions of each of the first {@code sequences} sequences as TRL's padded batch holds
     * them (padding included): {@code rows[s·kept + j]} is the flat hidden row of position j of sequence s.
     */
    public record Positions(int sequences, int kept, long[] rows) {
        public Positions {
            if (rows.length != sequences * kept) throw new IllegalArgumentException("one row per sequence and kept position");
        }
    }

    /** A collated batch: row r is sequence r, and each label != -100 at position j ≥ 1 is scored from position j - 1. */
    public static ScoredTokens of(Batch batch) {
        long[] shifted = CausalLmLoss.shiftLeft(batch.labels()).toLongArray();
        int n = 0;
        for (long v : shifted) if (v != Losses.IGNORE_INDEX) n++;
        if (n == 0) throw new IllegalArgumentException("no completion tokens in the batch");
        long[] rows = new long[n], targets = new long[n];
        int[] sequence = new int[n];
        for (int j = 0, k = 0; j < shifted.length; j++) {
            if (shifted[j] == Losses.IGNORE_INDEX) continue;
            rows[k] = j;
            targets[k] = shifted[j];
            sequence[k++] = j / batch.width();
        }
        return new ScoredTokens(batch.decoderInput(false), rows, targets, sequence, batch.rows(), batch.tokens());
    }

    /** The input, recomputing each layer in backward when {@code checkpoint}. */
    public DecoderInput input(boolean checkpoint) {
        DecoderInput in = input;
        return new DecoderInput(in.inputIds(), in.positionIds(), in.segmentIds(), null, checkpoint, null, in.sharedPrefix());
    }

    /** Input rows (B) and width (T) of the model input. */
    public int rows() { return input.inputIds().size(0); }

    public int width() { return input.inputIds().size(1); }

    public int count() { return targets.length; }

    /** Completion tokens per sequence. */
    public long[] counts() {
        long[] c = new long[sequences];
        for (int s : sequenceOf) c[s]++;
        return c;
    }

    /** The same with the input's tensors on {@code device}. */
    public ScoredTokens to(Device device) {
        return new ScoredTokens(input.to(device), hiddenRows, targets, sequenceOf, sequences, tokens, positions);
    }
}
