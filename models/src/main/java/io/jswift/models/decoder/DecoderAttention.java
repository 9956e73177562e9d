package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.AttentionConfig;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.QkNorm;
import io.jswift.nn.Init;
import io.jswift.nn.InitializesOwnParameters;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

/**
 * HF LlamaAttention and its deltas: q/k/v projections (or one fused qkv_proj: Phi-3), optional RMSNorm of q and k (per head: Qwen3; over the whole
 * projection: OLMo 2; per head after RoPE: HunYuan), RoPE on all or the first R dims of each head (with GLM's interleaved pairs), grouped-query
 * scaled-dot-product attention with an optional sliding window (Mistral; Qwen2/3 with use_sliding_window) and GPT-OSS's
 * per-head {@code sinks} logits in the softmax, an optional sigmoid output gate that q_proj yields with the queries
 * (Qwen3-Next), o_proj.
 * Dims: B batch, T tokens, C hidden, D head dim, R rotary dims.
 */
final class DecoderAttention extends Module implements SelfAttention, InitializesOwnParameters {
    private final int numHeads, numKvHeads, headDim;
    private final int window;           // sliding window of this layer, 0: none
    private final QkNorm qkNorm;
    private final RMSNorm qNorm, kNorm; // [D] or [H·D], or null
    private final Tensor pairOrder;     // [D] I64: interleaved pairs (2i, 2i+1) of the rotary dims moved to (i, i + R/2); or null
    private final boolean fusedQkv;
    private final Parameter sinks;      // [Hq] GPT-OSS's sink logits, or null
    private final boolean outputGate;   // Qwen3-Next: q_proj yields [Hq, 2D] (query, gate) and the output is scaled by sigmoid(gate)

    DecoderAttention(DecoderConfig config, int layer, Generator gen) {
        AttentionConfig c = config.attention();
        int hidden = config.hiddenSize();
        numHeads = c.numHeads();
        numKvHeads = c.numKvHeads();
        headDim = c.headDim();
        window = c.windowOf(layer);
        qkNorm = c.qkNorm();
        fusedQkv = c.fusedQkv();
        outputGate = c.outputGate();
        if (fusedQkv) {
            registerModule("qkv_proj", new Linear(hidden, (numHeads + 2 * numKvHeads) * headDim, c.qkvBias(), gen));
        } else {
            registerModule("q_proj", new Linear(hidden, numHeads * headDim * (outputGate ? 2 : 1), c.qkvBias(), gen));
            registerModule("k_proj", new Linear(hidden, numKvHeads * headDim, c.qkvBias(), gen));
            registerModule("v_proj", new Linear(hidden, numKvHeads * headDim, c.qkvBias(), gen));
        }
        registerModule("o_proj", new Linear(numHeads * headDim, hidden, c.oProjBias(), gen));
        int qNormDim = qkNorm == QkNorm.WHOLE ? numHeads * headDim : headDim, kNormDim = qkNorm == QkNorm.WHOLE ? numKvHeads * headDim : headDim;
        boolean unitOffset = config.norm().unitOffset();
        boolean afterRope = qkNorm == QkNorm.PER_HEAD_AFTER_ROPE; // HunYuan's names
        qNorm = qkNorm != QkNorm.NONE ? registerModule(afterRope ? "query_layernorm" : "q_norm", new RMSNorm(qNormDim, config.norm().eps(), unitOffset)) : null;
        kNorm = qkNorm != QkNorm.NONE ? registerModule(afterRope ? "key_layernorm" : "k_norm", new RMSNorm(kNormDim, config.norm().eps(), unitOffset)) : null;
        pairOrder = config.rope().interleaved() ? pairOrder(headDim, config.rope().rotaryDim(headDim)) : null;
        sinks = c.sinks() ? registerParameter("sinks", new Parameter(Init.kaimingUniform(gen, numHeads, numHeads))) : null;
    }

    /** GptOssPreTrainedModel._init_weights: sinks ~ N(0, initializer_range); no other own parameter. */
    @Override
    public List<Parameter> initialize(double range, Generator gen) {
        if (sinks == null) return List.of();
        sinks.setValue(Init.normal(gen, 0, range, sinks.shape()));
        return List.of(sinks);
    }

    /**
     * GLM's rotate_half pairs dims (2i, 2i+1) and turns both by frequency i. Gathering the rotary dims evens-first turns
     * that into the usual split-halves rotation; q and k get the same order, so every q·k score is unchanged (v is not
     * reordered), and the fused rope kernel serves both layouts.
     */
    static Tensor pairOrder(int d, int r) {
        long[] order = new long[d];
        for (int i = 0; i < r / 2; i++) {
            order[i] = 2L * i;
            order[r / 2 + i] = 2L * i + 1;
        }
        for (int i = r; i < d; i++) order[i] = i;
        return Tensor.ofLongs(order, d);
    }

    @Override
    public Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        int b = x.size(0), t = x.size(1);
        Variable[] qkv = project(x);
        Variable gate = null;
        if (outputGate) { // Qwen3NextAttention: view(..., Hq, 2D).chunk(2, -1): each head's query, then its gate
            Variable both = Views.reshape(qkv[0], b, t, numHeads, 2 * headDim);
            qkv[0] = Views.reshape(Views.narrow(both, 3, 0, headDim), b, t, numHeads * headDim);
            gate = Views.reshape(Views.narrow(both, 3, headDim, headDim), b, t, numHeads * headDim);
        }
        Variable q = rotate(heads(qkv[0], b, t, numHeads, qNorm), rope);
        Variable k = rotate(heads(qkv[1], b, t, numKvHeads, kNorm), rope);
        if (qkNorm == QkNorm.PER_HEAD_AFTER_ROPE) { // HunYuanDenseV1Attention: rope, then query_layernorm / key_layernorm
            q = qNorm.forward(q);
            k = kNorm.forward(k);
        }
        Variable v = heads(qkv[2], b, t, numKvHeads, null);
        AttentionSpec layerSpec = spec.withWindow(window);
        Variable out; // [B, Hq, T, D]
        if (sinks == null) out = cache != null ? cache.attend(layer, q, k, v, layerSpec) : Fused.attention(q, k, v, layerSpec);
        else out = cache != null ? cache.attend(layer, q, k, v, layerSpec.withSinks(sinks.value())) : Fused.attention(q, k, v, sinks.variable(), layerSpec);
        Variable merged = Views.reshape(Views.transpose(out, 1, 2), b, t, numHeads * headDim);
        if (gate != null) merged = Elementwise.mul(merged, Elementwise.unary(UnaryOp.SIGMOID, gate));
        return LinearLayer.child(this, "o_proj").forward(merged);
    }

    /** q [B, T, Hq·D], k and v [B, T, Hkv·D]: three projections, or the q | k | v column blocks of qkv_proj (HF Phi3). */
    private Variable[] project(Variable x) {
        if (!fusedQkv) {
            return new Variable[]{LinearLayer.child(this, "q_proj").forward(x), LinearLayer.child(this, "k_proj").forward(x),
                    LinearLayer.child(this, "v_proj").forward(x)};
        }
        Variable all = LinearLayer.child(this, "qkv_proj").forward(x);
        int q = numHeads * headDim, kv = numKvHeads * headDim;
        return new Variable[]{Views.narrow(all, 2, 0, q), Views.narrow(all, 2, q, kv), Views.narrow(all, 2, q + kv, kv)};
    }

    /** [B, H, T, D] with RoPE on its first R dims (the tables are [T, R] or [B, T, R]). */
    private Variable rotate(Variable x, RotaryEmbedding.Tables rope) {
        if (pairOrder != null) x = Views.indexSelect(x, 3, pairOrder.to(x.value().device()));
        return Fused.rope(x, rope.cos(), rope.sin());
    }

    /** [B, T, H·D] → [B, H, T, D] (a view), with the optional q/k norm applied over H·D or D first. */
    private Variable heads(Variable projected, int b, int t, int h, RMSNorm norm) {
        if (norm != null && qkNorm == QkNorm.WHOLE) projected = norm.forward(projected);
        Variable split = Views.reshape(projected, b, t, h, headDim);
        if (norm != null && qkNorm == QkNorm.PER_HEAD) split = norm.forward(split);
        return Views.transpose(split, 1, 2);
    }
}
