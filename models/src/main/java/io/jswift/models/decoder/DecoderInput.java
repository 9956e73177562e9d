package io.jswift.models.decoder;

import io.jswift.nn.moe.RouterRecord;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

/**
 * One forward call of a decoder. inputIds [B, T]; positionIds [B, T] (null: cache length + 0..T-1);
 * segmentIds [B, T] isolate packed samples or mark left padding (null: one segment; with a cache they are
 * remembered for the cached keys); cache for incremental decoding (null: none); checkpoint recomputes each layer in backward (training only);
 * routers collects the MoE layers' router outputs (null: not recorded); sharedPrefix: segment 0 of each row is a prompt
 * that every later segment of the row attends to besides itself ({@link io.jswift.tensor.spi.AttentionSpec#sharedPrefix()}:
 * a prompt packed once before several completions, each positioned after the prompt by its position ids), only for a
 * model whose {@link io.jswift.models.CausalLm#sharesPrefixes()}, with segment and position ids and no cache.
 */
public record DecoderInput(Tensor inputIds, Tensor positionIds, Tensor segmentIds, KvCache cache, boolean checkpoint, RouterRecord routers,
                           boolean sharedPrefix) {
    public static DecoderInput of(Tensor inputIds) {
        return new DecoderInput(inputIds, null, null, null, false);
    }

    /** Without a shared prefix. */
    public DecoderInput(Tensor inputIds, Tensor positionIds, Tensor segmentIds, KvCache cache, boolean checkpoint, RouterRecord routers) {
        this(inputIds, positionIds, segmentIds, cache, checkpoint, routers, false);
    }

    /** Without recording router outputs. */
    public DecoderInput(Tensor inputIds, Tensor positionIds, Tensor segmentIds, KvCache cache, boolean checkpoint) {
        this(inputIds, positionIds, segmentIds, cache, checkpoint, null);
    }

    /** The same input, recording the MoE layers' router outputs into {@code record} (transformers' output_router_logits). */
    public DecoderInput recordingRouters(RouterRecord record) {
        return new DecoderInput(inputIds, positionIds, segmentIds, cache, checkpoint, record, sharedPrefix);
    }

    public DecoderInput {
        if (inputIds.rank() != 2) {
            throw new IllegalArgumentException("input ids must be [batch, tokens], got shape " + java.util.Arrays.toString(inputIds.shape()));
        }
        if (sharedPrefix && (segmentIds == null || positionIds == null || cache != null)) {
            throw new IllegalArgumentException("a shared prefix needs segment ids (the prefix is segment 0) and position ids, and no cache");
        }
    }

    /** The same input with its tensors on {@code device} (where the model is; the cache already is). */
    public DecoderInput to(Device device) {
        return new DecoderInput(inputIds.to(device), positionIds == null ? null : positionIds.to(device),
                segmentIds == null ? null : segmentIds.to(device), cache, checkpoint, routers, sharedPrefix);
    }
}
