package io.jswift.train.encode;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.vision.VisionInput;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

/**
 * A collated micro-batch (B = rows, T = longest row). inputIds [B, T] I64 right-padded with 0; labels [B, T] I64
 * with -100 on padding (unshifted, as {@link io.jswift.nn.CausalLmLoss} takes them); positionIds [B, T] I64 and
 * segmentIds [B, T] I32 when some row is packed, else null (plain causal attention, positions 0..T-1).
 * tokens = real tokens; targets = labels != -100 after the shift (HF's num_items_in_batch for this batch); images: the
 * rows' images in row order (transformers' pixel_values / image_grid_thw of the batch), null when none has any.
 */
public record Batch(Tensor inputIds, Tensor labels, Tensor positionIds, Tensor segmentIds, long tokens, long targets, VisionInput images) {
    /** A batch without images. */
    public Batch(Tensor inputIds, Tensor labels, Tensor positionIds, Tensor segmentIds, long tokens, long targets) {
        this(inputIds, labels, positionIds, segmentIds, tokens, targets, null);
    }

    /** The model input for this batch ({@code checkpoint}: recompute each layer in backward). */
    public DecoderInput decoderInput(boolean checkpoint) {
        return new DecoderInput(inputIds, positionIds, segmentIds, null, checkpoint);
    }

    /** This batch with its tensors on {@code device} (collation happens on the host). */
    public Batch to(Device device) {
        return new Batch(inputIds.to(device), labels.to(device), positionIds == null ? null : positionIds.to(device),
                segmentIds == null ? null : segmentIds.to(device), tokens, targets, images == null ? null : images.to(device));
    }

    public int rows() { return inputIds.size(0); }

    public int width() { return inputIds.size(1); }
}
