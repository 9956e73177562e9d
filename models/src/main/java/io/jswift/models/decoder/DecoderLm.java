package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.Linear;
import io.jswift.nn.RopeScaling;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

/**
 * The Llama-flow decoder (LlamaForCausalLM and the families that are its data flow with small options: Qwen2, Qwen3,
 * Mistral, OLMo 2, GLM-4, Phi-3, Gemma 2, and the MoE families Mixtral, Qwen2-MoE, Qwen3-MoE, GLM-4.5, DeepSeek-V2/V3, whose
 * sparse layers' MLP is a {@link SparseMoeBlock}; DeepSeek's attention is a {@link LatentAttention}): {@code model.embed_tokens}, {@code model.layers.N}, {@code model.norm}, {@code lm_head} (absent when
 * tie_word_embeddings: the embedding matrix is reused).
 */
public final class DecoderLm extends CausalLm {
    private final DecoderConfig config;
    private final DecoderStack model;
    private final LmHead head;
    private final RotaryEmbedding rotary;
    private final RotaryEmbedding localRotary; // sliding layers' tables (Gemma 3), or null: the same as rotary

    /** {@code gen} initializes weights randomly; null builds meta tensors to be replaced by a checkpoint. */
    public DecoderLm(DecoderConfig config, Generator gen) {
        this.config = config;
        this.model = registerModule("model", new DecoderStack(config, gen));
        if (!config.tieWordEmbeddings()) registerModule("lm_head", new Linear(config.hiddenSize(), config.vocabSize(), false, gen));
        this.head = new LmHead(this, model, config);
        int rotaryDim = config.rotaryDim();
        this.rotary = config.rope().longRope() != null ? new RotaryEmbedding(rotaryDim, config.rope().theta(), config.rope().longRope())
                : config.rope().yarn() != null ? new RotaryEmbedding(rotaryDim, config.rope().theta(), config.rope().yarn())
                : new RotaryEmbedding(rotaryDim, config.rope().base(rotaryDim), config.rope().scaling());
        // Gemma 3: sliding layers rotate with their own base and no scaling
        this.localRotary = config.rope().localTheta() > 0 ? new RotaryEmbedding(rotaryDim, config.rope().localTheta(), RopeScaling.NONE) : null;
    }

    @Override
    public DecoderConfig config() { return config; }


    /** Generation needs only the last row, and the LM head over a 128k vocabulary is a fifth of a prefill's work. */
    @Override
    public Variable forward(DecoderInput in, int logitsToKeep) {
        if (logitsToKeep < 0) throw new IllegalArgumentException("logitsToKeep must be >= 0, got " + logitsToKeep);
        Variable h = hiddenStates(in);
        int t = h.size(1);
        if (logitsToKeep > 0 && logitsToKeep < t) h = Views.narrow(h, 1, t - logitsToKeep, logitsToKeep);
        return logitsFromHidden(h);
    }

    @Override
    public Variable logitsFromHidden(Variable hidden) { return head.logits(hidden); }

    @Override
    public Variable plainHeadWeight() { return head.plainWeight(); }

    @Override
    public Variable causalLmLoss(DecoderInput in, Tensor labels, double numItemsInBatch) {
        return head.loss(hiddenStates(in), labels, numItemsInBatch);
    }

    /**
     * Every layer attends through the segment mask; a sliding window counts packed-row distances, not positions, and a
     * Gated DeltaNet layer (Qwen3-Next) carries its state along the row, so the rejected reply would see the chosen one.
     */
    @Override
    public boolean sharesPrefixes() { return !config.attention().slidingLayers().contains(true) && config.linearAttention() == null; }

    /** Attention-only token mixing and per-position rope tables: not Qwen3-Next (Gated DeltaNet), not LongRoPE (Phi-3). */
    @Override
    public boolean packsSequences() { return config.linearAttention() == null && rotary.longFrom() == Integer.MAX_VALUE; }

    @Override
    public Variable hiddenStates(DecoderInput in) {
        int t = in.inputIds().size(1);
        if (in.sharedPrefix() && !sharesPrefixes()) {
            throw new IllegalArgumentException(config.architecture() + " has sliding-window or linear-attention layers: a shared prefix would change what they see");
        }
        if (in.cache() != null && rotary.longFrom() != Integer.MAX_VALUE) {
            // positions already cached: a batch of per-sequence caches has no single length, its rows' positions tell
            long last = in.positionIds() != null ? maxPosition(in) : in.cache().length() + t - 1;
            if (last - t + 1 > 0 && rotary.switchesBetween(last - t, last)) {
                // transformers re-encodes the whole sequence at that point (Phi3ForCausalLM.prepare_inputs_for_generation)
                throw new IllegalStateException("LongRoPE switches to its long factors past " + rotary.longFrom() + " positions, which this cached"
                        + " decode crosses (" + (last - t + 1) + " cached + " + t + "): the cached keys were rotated with the short factors; re-run the"
                        + " whole sequence without a cache instead");
            }
        }
        if (config.rope().ntkAlpha() > 0) {
            long last = in.positionIds() != null ? maxPosition(in) : (in.cache() == null ? 0 : in.cache().length()) + t - 1;
            if (last + 1 > config.rope().maxPositionEmbeddings()) {
                // HunYuanDenseV1RotaryEmbedding's dynamic_rope_update then recomputes plain dynamic-NTK frequencies (alpha dropped)
                throw new IllegalArgumentException("positions up to " + last + " exceed max_position_embeddings (" + config.rope().maxPositionEmbeddings()
                        + ") of the NTK-alpha rope, past which transformers switches to dynamic NTK scaling without alpha; that switch is not supported");
            }
        }
        // what the forward creates goes where the weights are (the inputs must already be there: see Embedding)
        Device device = model.embedTokens.weight().device();
        RotaryEmbedding.Tables globalRope = tables(rotary, in, t).to(device);
        RotaryEmbedding.Tables localRope = localRotary == null ? globalRope : tables(localRotary, in, t).to(device);
        Variable x = model.embedTokens.forward(in.inputIds());
        if (config.scaling().embeddingScale() != 1) x = Elementwise.scale(x, config.scaling().embeddingScale());
        return model.forward(x, globalRope, localRope, in);
    }

    /** cos/sin for this call's positions: the position ids, or the cache length onwards. */
    private static RotaryEmbedding.Tables tables(RotaryEmbedding r, DecoderInput in, int t) {
        return in.positionIds() != null ? r.forPositionIds(in.positionIds()) : r.forRange(in.cache() == null ? 0 : in.cache().length(), t);
    }

    /** The largest position id of this call. */
    private static long maxPosition(DecoderInput in) {
        long max = 0;
        for (long p : in.positionIds().toLongArray()) max = Math.max(max, p);
        return max;
    }

    @Override
    public KvCache newCache(int batch, int capacity) { return model.newCache(batch, capacity); }

    /** DeepSeek's compressed latent cache ({@link DecoderStack#newLatentCache}). */
    public KvCache newLatentCache(int batch, int capacity) { return model.newLatentCache(batch, capacity); }
}
