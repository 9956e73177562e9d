package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.AttentionConfig;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * HF LlamaAttention and its deltas (Qwen2, Qwen3, Mistral): q/k/v projections, optional per-head RMSNorm of q and k
 * (Qwen3), RoPE, grouped-query scaled-dot-product attention with an optional sliding window (Mistral; Qwen2/3 with
 * use_sliding_window), o_proj. Dims: B batch, T tokens, C hidden, D head dim.
 */
final class DecoderAttention extends Module {
    private final int numHeads, numKvHeads, headDim;
    private final int window;           // sliding window of this layer, 0: none
    private final RMSNorm qNorm, kNorm; // [D] (Qwen3) or null

    DecoderAttention(DecoderConfig config, int layer, Generator gen) {
        AttentionConfig c = config.attention();
        int hidden = config.hiddenSize();
        numHeads = c.numHeads();
        numKvHeads = c.numKvHeads();
        headDim = c.headDim();
        window = c.windowOf(layer);
        registerModule("q_proj", new Linear(hidden, numHeads * headDim, c.qkvBias(), gen));
        registerModule("k_proj", new Linear(hidden, numKvHeads * headDim, c.qkvBias(), gen));
        registerModule("v_proj", new Linear(hidden, numKvHeads * headDim, c.qkvBias(), gen));
        registerModule("o_proj", new Linear(numHeads * headDim, hidden, c.oProjBias(), gen));
        qNorm = c.qkNorm() ? registerModule("q_norm", new RMSNorm(headDim, config.norm().eps())) : null;
        kNorm = c.qkNorm() ? registerModule("k_norm", new RMSNorm(headDim, config.norm().eps())) : null;
    }

    /** x [B, T, C] → [B, T, C]; with a cache, attends over the cached positions plus these T. */
    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        int b = x.size(0), t = x.size(1);
        Variable q = heads(LinearLayer.child(this, "q_proj").forward(x), b, t, numHeads, qNorm);
        Variable k = heads(LinearLayer.child(this, "k_proj").forward(x), b, t, numKvHeads, kNorm);
        Variable v = heads(LinearLayer.child(this, "v_proj").forward(x), b, t, numKvHeads, null);
        q = Fused.rope(q, rope.cos(), rope.sin());
        k = Fused.rope(k, rope.cos(), rope.sin());
        if (cache != null) {
            Tensor[] kv = cache.append(layer, k.value(), v.value());
            k = Variable.constant(kv[0]);
            v = Variable.constant(kv[1]);
        }
        Variable out = Fused.attention(q, k, v, spec.withWindow(window)); // [B, Hq, T, D]
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
