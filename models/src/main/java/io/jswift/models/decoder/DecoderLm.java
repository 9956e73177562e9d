package io.jswift.models.decoder;

import io.jswift.autograd.Checkpoint;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.DrawsRandom;
import io.jswift.nn.Embedding;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.ModuleList;
import io.jswift.nn.Parameter;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RopeScaling;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.List;

/**
 * The Llama-flow decoder (LlamaForCausalLM and the families that are its data flow with small options: Qwen2, Qwen3,
 * Mistral, OLMo 2, GLM-4, Phi-3, Gemma 2, and the MoE families Mixtral, Qwen2-MoE, Qwen3-MoE, GLM-4.5, DeepSeek-V2/V3, whose
 * sparse layers' MLP is a {@link SparseMoeBlock}; DeepSeek's attention is a {@link LatentAttention}): {@code model.embed_tokens}, {@code model.layers.N}, {@code model.norm}, {@code lm_head} (absent when
 * tie_word_embeddings: the embedding matrix is reused).
 */
public final class DecoderLm extends CausalLm {
    private final DecoderConfig config;
    private final Backbone model;
    private final RotaryEmbedding rotary;
    private final RotaryEmbedding localRotary; // sliding layers' tables (Gemma 3), or null: the same as rotary

    /** {@code gen} initializes weights randomly; null builds meta tensors to be replaced by a checkpoint. */
    public DecoderLm(DecoderConfig config, Generator gen) {
        this.config = config;
        this.model = registerModule("model", new Backbone(config, gen));
        if (!config.tieWordEmbeddings()) registerModule("lm_head", new Linear(config.hiddenSize(), config.vocabSize(), false, gen));
        int rotaryDim = config.rotaryDim();
        this.rotary = config.rope().longRope() != null ? new RotaryEmbedding(rotaryDim, config.rope().theta(), config.rope().longRope())
                : config.rope().yarn() != null ? new RotaryEmbedding(rotaryDim, config.rope().theta(), config.rope().yarn())
                : new RotaryEmbedding(rotaryDim, config.rope().theta(), config.rope().scaling());
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

    private Variable head(Variable h) {
        if (config.tieWordEmbeddings()) return LinearAlgebra.linear(h, model.embedTokens.weight().variable(), null);
        return LinearLayer.child(this, "lm_head").forward(h);
    }

    /** Gemma 2's final_logit_softcapping: cap · tanh(logits / cap). */
    private Variable softcapped(Variable logits) {
        double cap = config.scaling().finalLogitSoftcap();
        if (cap == 0) return logits;
        return Elementwise.scale(Elementwise.unary(UnaryOp.TANH, Elementwise.scale(logits, 1 / cap)), cap);
    }

    @Override
    public Variable logitsFromHidden(Variable hidden) {
        return softcapped(head(hidden));
    }

    @Override
    public Variable plainHeadWeight() {
        if (config.scaling().finalLogitSoftcap() > 0) return null;
        if (config.tieWordEmbeddings()) return model.embedTokens.weight().variable();
        if (children().get("lm_head") instanceof Linear plain && plain.bias() == null) return plain.weight().variable();
        return null;
    }

    /**
     * A plain head (tied embeddings or a frozen lm_head, as under LoRA) never materializes the [B·T, V] logits; an
     * adapted, biased or soft-capped head computes them as {@link #forward} does.
     */
    @Override
    public Variable causalLmLoss(DecoderInput in, Tensor labels, double numItemsInBatch) {
        Variable h = hiddenStates(in);
        Variable head = plainHeadWeight();
        if (head == null) return CausalLmLoss.apply(logitsFromHidden(h), labels, numItemsInBatch);
        return CausalLmLoss.fromHidden(h, head, labels, numItemsInBatch);
    }

    @Override
    public Variable hiddenStates(DecoderInput in) {
        int b = in.inputIds().size(0), t = in.inputIds().size(1);
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
        // what the forward creates goes where the weights are (the inputs must already be there: see Embedding)
        Device device = model.embedTokens.weight().device();
        RotaryEmbedding.Tables globalRope = tables(rotary, in, t).to(device);
        RotaryEmbedding.Tables localRope = localRotary == null ? globalRope : tables(localRotary, in, t).to(device);
        Tensor querySegments = in.segmentIds();
        Tensor keySegments = in.cache() != null ? in.cache().segmentsFor(querySegments, t) : querySegments;
        if (keySegments != null && querySegments == null) querySegments = Tensor.zeros(DType.I32, b, t).to(device);
        AttentionSpec spec = new AttentionSpec(config.attention().scale(), true, querySegments, keySegments, 0, config.attention().softcap());
        if (in.routers() != null && in.checkpoint() && in.cache() == null) {
            // the recomputed layers run in backward: their router outputs would come too late for the loss
            throw new IllegalArgumentException("the router load-balancing loss (--router_aux_loss_coef > 0) cannot be combined with "
                    + "gradient checkpointing: set --gradient_checkpointing false");
        }
        Variable x = model.embedTokens.forward(in.inputIds());
        if (config.scaling().embeddingScale() != 1) x = Elementwise.scale(x, config.scaling().embeddingScale());
        for (int l = 0; l < model.layers.size(); l++) {
            DecoderLayer layer = model.layers.get(l);
            int index = l;
            RotaryEmbedding.Tables rope = config.attention().slidingLayers().get(l) ? localRope : globalRope;
            if (in.checkpoint() && in.cache() == null) {
                List<Variable> params = new ArrayList<>();
                for (Parameter p : layer.trainableParameters()) params.add(p.variable());
                x = Checkpoint.apply(xs -> layer.forward(xs[0], rope, spec, null, index, null), params, DrawsRandom.of(layer), x);
            } else {
                x = layer.forward(x, rope, spec, in.cache(), index, in.routers());
            }
        }
        if (in.cache() != null) in.cache().advance(t);
        return model.norm.forward(x);
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
    public KvCache newCache(int batch, int capacity) {
        return new DenseKvCache(model.embedTokens.weight().value().backend(), config.numLayers(), batch, config.attention().numKvHeads(),
                config.attention().headDim(), capacity);
    }

    /** HF LlamaModel: the part under the {@code model.} prefix. */
    static final class Backbone extends Module {
        final Embedding embedTokens;
        final ModuleList<DecoderLayer> layers;
        final RMSNorm norm;

        Backbone(DecoderConfig c, Generator gen) {
            embedTokens = registerModule("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), gen));
            List<DecoderLayer> list = new ArrayList<>();
            for (int i = 0; i < c.numLayers(); i++) list.add(new DecoderLayer(c, i, gen));
            layers = registerModule("layers", new ModuleList<>(list));
            norm = registerModule("norm", new RMSNorm(c.hiddenSize(), c.norm().eps(), c.norm().unitOffset()));
        }
    }
}
