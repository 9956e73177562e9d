package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.GatedMlp;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/** Pre-norm decoder block: h = x + attn(norm(x)); out = h + mlp(norm(h)). */
final class DecoderLayer extends Module {
    private final DecoderAttention selfAttn;
    private final GatedMlp mlp;
    private final RMSNorm inputLayernorm, postAttentionLayernorm;

    DecoderLayer(DecoderConfig c, int layer, Generator gen) {
        selfAttn = registerModule("self_attn", new DecoderAttention(c, layer, gen));
        mlp = registerModule("mlp", new GatedMlp(c.hiddenSize(), c.mlp().intermediateSize(), c.mlp().bias(), c.mlp().activation(), gen));
        inputLayernorm = registerModule("input_layernorm", new RMSNorm(c.hiddenSize(), c.norm().eps()));
        postAttentionLayernorm = registerModule("post_attention_layernorm", new RMSNorm(c.hiddenSize(), c.norm().eps()));
    }

    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        Variable h = Elementwise.add(x, selfAttn.forward(inputLayernorm.forward(x), rope, spec, cache, layer));
        return Elementwise.add(h, mlp.forward(postAttentionLayernorm.forward(h)));
    }
}
