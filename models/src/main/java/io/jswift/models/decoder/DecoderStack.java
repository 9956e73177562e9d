package io.jswift.models.decoder;

import io.jswift.autograd.Checkpoint;
import io.jswift.autograd.Variable;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.MlaConfig;
import io.jswift.nn.DrawsRandom;
import io.jswift.nn.Embedding;
import io.jswift.nn.Module;
import io.jswift.nn.ModuleList;
import io.jswift.nn.Parameter;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * HF LlamaModel, the part of a Llama-flow decoder under its {@code model.} prefix: {@code embed_tokens}, {@code layers.N},
 * {@code norm}. {@link DecoderLm} runs it on token embeddings with 1-D RoPE tables; a vision-language model
 * (Qwen2-VL) runs it on embeddings with image features scattered in and M-RoPE tables. Dims: B batch, T tokens, C hidden.
 */
public final class DecoderStack extends Module {
    private final DecoderConfig config;
    final Embedding embedTokens;
    final ModuleList<DecoderLayer> layers;
    final RMSNorm norm;

    public DecoderStack(DecoderConfig c, Generator gen) {
        this.config = c;
        embedTokens = registerModule("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), gen));
        List<DecoderLayer> list = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) list.add(new DecoderLayer(c, i, gen));
        layers = registerModule("layers", new ModuleList<>(list));
        norm = registerModule("norm", new RMSNorm(c.hiddenSize(), c.norm().eps(), c.norm().unitOffset()));
    }

    public Embedding embedTokens() { return embedTokens; }

    /**
     * The final-norm hidden states [B, T, C] of input embeddings {@code x} [B, T, C] (scaled as the family wants):
     * every layer with {@code globalRope} (full-attention layers) or {@code localRope} (sliding layers), masks from
     * {@code in}'s segments and cache, MoE router outputs recorded into {@code in.routers()} when set, each layer
     * recomputed in backward when {@code in.checkpoint()}; the cache advances by T.
     */
    public Variable forward(Variable x, RotaryEmbedding.Tables globalRope, RotaryEmbedding.Tables localRope, DecoderInput in) {
        int b = x.size(0), t = x.size(1);
        Device device = embedTokens.weight().device();
        Tensor querySegments = in.segmentIds();
        Tensor keySegments = in.cache() != null ? in.cache().segmentsFor(querySegments, t) : querySegments;
        if (keySegments != null && querySegments == null) querySegments = Tensor.zeros(DType.I32, b, t).to(device);
        AttentionSpec spec = new AttentionSpec(config.attention().scale(), true, querySegments, keySegments, 0, config.attention().softcap(),
                in.sharedPrefix());
        if (in.routers() != null && in.checkpoint() && in.cache() == null) {
            // the recomputed layers run in backward: their router outputs would come too late for the loss
            throw new IllegalArgumentException("the router load-balancing loss (--router_aux_loss_coef > 0) cannot be combined with "
                    + "gradient checkpointing: set --gradient_checkpointing false");
        }
        for (int l = 0; l < layers.size(); l++) {
            DecoderLayer layer = layers.get(l);
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
        return norm.forward(x);
    }

    /**
     * A KV cache for this stack's layers, on the weights' device: expanded keys and values, or DeepSeek's compressed
     * latent ({@link #newLatentCache}) when {@code -Djswift.mla_cache=latent} asks for it. Expanded is the default because
     * on the CPU the absorbed attention over the latent is slower at the contexts measured (MlaDecodeQuick, idle machine:
     * 2.3 vs 0.3 ms a token's attention at S = 256, 7.1 vs 5.1 ms at S = 2048), while the latent holds 576 instead of
     * 5120 floats a position (DeepSeek-V2-Lite's sizes): the choice is memory against speed.
     */
    public KvCache newCache(int batch, int capacity) {
        if (config.attention().mla() != null && MlaCacheChoice.latentRequested() && absorbsLatent()) return newLatentCache(batch, capacity);
        return new DenseKvCache(embedTokens.weight().value().backend(), config.numLayers(), batch, config.attention().numKvHeads(),
                config.attention().headDim(), config.attention().valueHeadDim(), capacity, config::linearAttention);
    }

    /**
     * DeepSeek's compressed latent cache (kv_lora_rank + qk_rope_head_dim floats a position), attended with the
     * up-projection absorbed; only for a stack whose every layer is latent attention with a plain kv_b_proj.
     */
    public KvCache newLatentCache(int batch, int capacity) {
        MlaConfig mla = config.attention().mla();
        if (mla == null || !absorbsLatent()) {
            throw new IllegalStateException("a latent KV cache needs latent attention with a plain kv_b_proj in every layer");
        }
        return DenseKvCache.latent(embedTokens.weight().value().backend(), config.numLayers(), batch, mla.kvLoraRank(), mla.qkRopeHeadDim(), capacity);
    }

    private boolean absorbsLatent() { return layers.asList().stream().allMatch(DecoderLayer::absorbsLatent); }
}
