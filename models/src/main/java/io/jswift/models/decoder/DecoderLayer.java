package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.GatedDeltaNetConfig;
import io.jswift.models.config.NormConfig;
import io.jswift.nn.GatedMlp;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.nn.deltanet.GatedDeltaNet;
import io.jswift.nn.moe.RouterRecord;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * A residual decoder block: h = x + post(attn(pre(x))); out = h + post(mlp(pre(h))), each norm present or not as the
 * family places them ({@link NormConfig}): Llama pre-norm, OLMo 2 post-norm, GLM-4 / Gemma sandwich. The token mixer is
 * self-attention or, on Qwen3-Next's linear_attention layers, a {@link GatedDeltaNet} (its state in the cache). The MLP is dense or,
 * on a MoE family's sparse layers, a {@link SparseMoeBlock}.
 */
final class DecoderLayer extends Module {
    private final SelfAttention selfAttn;  // projected q/k/v, or DeepSeek's latent attention; null on a linear-attention layer
    private final GatedDeltaNet linearAttn; // Qwen3-Next's linear_attention layers, else null
    private final GatedMlp mlp;            // a dense layer's MLP, or null
    private final SparseMoeBlock sparseMlp; // a MoE layer's, or null
    private final RMSNorm preAttention, postAttention, preMlp, postMlp; // [C] each, or null

    DecoderLayer(DecoderConfig c, int layer, Generator gen) {
        if (c.linearAttention(layer)) {
            GatedDeltaNetConfig l = c.linearAttention();
            selfAttn = null;
            linearAttn = registerModule("linear_attn", new GatedDeltaNet(c.hiddenSize(), l.numKeyHeads(), l.numValueHeads(), l.keyHeadDim(),
                    l.valueHeadDim(), l.convKernel(), c.norm().eps(), c.mlp().activation(), gen));
        } else {
            linearAttn = null;
            selfAttn = c.attention().mla() != null ? registerModule("self_attn", new LatentAttention(c, layer, gen))
                    : registerModule("self_attn", new DecoderAttention(c, layer, gen));
        }
        if (c.moe() != null && c.moe().sparse(layer)) {
            mlp = null;
            sparseMlp = registerModule("mlp", new SparseMoeBlock(c, gen));
        } else {
            mlp = registerModule("mlp", new GatedMlp(c.hiddenSize(), c.mlp().intermediateSize(), c.mlp().bias(), c.mlp().activation(),
                    c.mlp().fusedGateUp(), gen));
            sparseMlp = null;
        }
        NormConfig n = c.norm();
        preAttention = norm(n.preAttention(), c);
        postAttention = norm(n.postAttention(), c);
        preMlp = norm(n.preMlp(), c);
        postMlp = norm(n.postMlp(), c);
    }

    private RMSNorm norm(String name, DecoderConfig c) {
        return name == null ? null : registerModule(name, new RMSNorm(c.hiddenSize(), c.norm().eps(), c.norm().unitOffset()));
    }

    private static Variable apply(RMSNorm norm, Variable x) { return norm == null ? x : norm.forward(x); }

    /** Whether this layer is DeepSeek's latent attention able to attend over a compressed latent cache (LatentAttention#absorbs). */
    boolean absorbsLatent() { return selfAttn instanceof LatentAttention l && l.absorbs(); }

    /** {@code routers}: where a MoE layer records its router output (the load-balancing loss), or null. */
    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer, RouterRecord routers) {
        Variable normed = apply(preAttention, x);
        Variable mixed = linearAttn != null ? linearAttn.forward(normed, cache == null ? null : cache.deltaNetState(layer), spec.keySegments())
                : selfAttn.forward(normed, rope, spec, cache, layer);
        Variable h = Elementwise.add(x, apply(postAttention, mixed));
        Variable m = apply(preMlp, h);
        return Elementwise.add(h, apply(postMlp, sparseMlp != null ? sparseMlp.forward(m, routers) : mlp.forward(m)));
    }
}
