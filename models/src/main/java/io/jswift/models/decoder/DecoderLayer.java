package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.nn.SwiGluMlp;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/** Pre-norm decoder block: h = x + attn(norm(x)); out = h + mlp(norm(h)). */
final class DecoderLayer extends Module {
    private final DecoderAttention selfAttn;
    private final SwiGluMlp mlp;
    private final RMSNorm inputLayernorm, postAttentionLayernorm;

    DecoderLayer(DecoderConfig c, Generator gen) {
        selfAttn = registerModule("self_attn", new DecoderAttention(c, gen));
        mlp = registerModule("mlp", new SwiGluMlp(c.hiddenSize(), c.intermediateSize(), c.mlpBias(), gen));
        inputLayernorm = registerModule("input_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps()));
        postAttentionLayernorm = registerModule("post_attention_layernorm", new RMSNorm(c.hiddenSize(), c.rmsNormEps()));
    }

    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        Variable h = Elementwise.add(x, selfAttn.forward(inputLayernorm.forward(x), rope, spec, cache, layer));
        return Elementwise.add(h, mlp.forward(postAttentionLayernorm.forward(h)));
    }
}
