package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * HF LlamaAttention / Qwen2Attention / Qwen3Attention: q/k/v projections, (Qwen3) per-head RMSNorm of q and k,
 * RoPE, grouped-query scaled-dot-product attention, o_proj. Dims: B batch, T tokens, C hidden, D head dim.
 */
final class DecoderAttention extends Module {
    private final int numHeads, numKvHeads, headDim;
    private final RMSNorm qNorm, kNorm; // [D] (Qwen3) or null

    DecoderAttention(DecoderConfig c, Generator gen) {
        numHeads = c.numHeads();
        numKvHeads = c.numKvHeads();
        headDim = c.headDim();
        registerModule("q_proj", new Linear(c.hiddenSize(), numHeads * headDim, c.qkvBias(), gen));
        registerModule("k_proj", new Linear(c.hiddenSize(), numKvHeads * headDim, c.qkvBias(), gen));
        registerModule("v_proj", new Linear(c.hiddenSize(), numKvHeads * headDim, c.qkvBias(), gen));
        registerModule("o_proj", new Linear(numHeads * headDim, c.hiddenSize(), c.oProjBias(), gen));
        qNorm = c.qkNorm() ? registerModule("q_norm", new RMSNorm(headDim, c.rmsNormEps())) : null;
        kNorm = c.qkNorm() ? registerModule("k_norm", new RMSNorm(headDim, c.rmsNormEps())) : null;
    }

    /** x [B, T, C] → [B, T, C]; with a cache, attends over the cached positions plus these T. */
    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        int b = x.size(0), t = x.size(1);
        Variable q = heads(LinearLayer.child(this, "q_proj").forward(x), b, t, numHeads, qNorm);
        Variable k = heads(LinearLayer.child(this, "k_proj").forward(x), b, t, numKvHeads, kNorm);
        Variable v = heads(LinearLayer.child(this, "v_proj").forward(x), b, t, numKvHeads, null);
        q = Fused.rope(q, rope.cos(), rope.sin());
        k = Fused.rope(k, rope.cos(), rope.sin());
        Variable out = cache != null ? cache.attend(layer, q, k, v, spec) : Fused.attention(q, k, v, spec); // [B, Hq, T, D]
        Variable merged = Views.reshape(Views.transpose(out, 1, 2), b, t, numHeads * headDim);
        return LinearLayer.child(this, "o_proj").forward(merged);
    }

    /** [B, T, H·D] → [B, H, T, D] (a view), with the optional per-head norm applied over D first. */
    private Variable heads(Variable projected, int b, int t, int h, RMSNorm norm) {
        Variable split = Views.reshape(projected, b, t, h, headDim);
        if (norm != null) split = norm.forward(split);
        return Views.transpose(split, 1, 2);
    }
}
