package io.jswift.models.config;

import java.util.List;

/**
 * Self-attention of a decoder layer. Dims: Hq query heads ({@code numHeads}), Hkv key/value heads, D head dim.
 * {@code slidingLayers} says per layer whether it attends only to the last {@code slidingWindow} positions
 * (transformers' {@code layer_types}: "sliding_attention"); all false when the model has no window. {@code fusedQkv}: one
 * {@code qkv_proj} [(Hq + 2·Hkv)·D, C] whose output splits into q, k, v in that order (Phi-3). {@code scale} multiplies
 * q·k (D^-0.5, Gemma: query_pre_attn_scalar^-0.5); {@code softcap} > 0 caps the scores (Gemma 2), 0: none.
 * {@code mla}: DeepSeek's multi-head latent attention instead of q/k/v projections (null: none); D is then its query and
 * key head ({@link MlaConfig#qkHeadDim()}), and values have their own ({@link #valueHeadDim()}). {@code sinks}: a learned logit per query head
 * in every softmax (GPT-OSS, AttentionSpec#sinks). {@code outputGate} (Qwen3-Next): q_proj also yields a
 * gate per head ([Hq, 2D]: each head's query then its gate), and the attention output is multiplied by sigmoid(gate) before o_proj.
 */
public record AttentionConfig(int numHeads, int numKvHeads, int headDim, boolean qkvBias, boolean oProjBias, QkNorm qkNorm,
                              int slidingWindow, List<Boolean> slidingLayers, boolean fusedQkv, double scale, double softcap, MlaConfig mla,
                              boolean sinks, boolean outputGate) {
    public AttentionConfig {
        if (numHeads <= 0 || numKvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("attention heads and head_dim must be > 0, got " + numHeads + ", " + numKvHeads + ", " + headDim);
        }
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        slidingLayers = List.copyOf(slidingLayers);
        if (!(scale > 0) || !(softcap >= 0)) throw new IllegalArgumentException("attention scale must be > 0 and soft-cap >= 0, got " + scale + ", " + softcap);
        if (slidingLayers.contains(true) && slidingWindow <= 0) {
            throw new IllegalArgumentException("sliding_window must be > 0 for sliding_attention layers, got " + slidingWindow);
        }
        if (mla != null && outputGate) throw new IllegalArgumentException("latent attention has no output gate");
        if (mla != null && (numKvHeads != numHeads || headDim != mla.qkHeadDim())) {
            throw new IllegalArgumentException("latent attention expands one key/value head per query head of " + mla.qkHeadDim()
                    + " dims; got " + numKvHeads + " kv heads of " + headDim + " for " + numHeads + " heads");
        }
        if (sinks && mla != null) throw new IllegalArgumentException("attention sinks are not defined for latent attention");
    }

    /** Without sinks nor an output gate. */
    public AttentionConfig(int numHeads, int numKvHeads, int headDim, boolean qkvBias, boolean oProjBias, QkNorm qkNorm,
                           int slidingWindow, List<Boolean> slidingLayers, boolean fusedQkv, double scale, double softcap, MlaConfig mla) {
        this(numHeads, numKvHeads, headDim, qkvBias, oProjBias, qkNorm, slidingWindow, slidingLayers, fusedQkv, scale, softcap, mla, false, false);
    }

    /** The head dim of values and of the attention output: v_head_dim with latent attention, else {@link #headDim()}. */
    public int valueHeadDim() { return mla != null ? mla.vHeadDim() : headDim; }

    /** This attention with GPT-OSS's learned per-head sink logits ({@code self_attn.sinks} [Hq]). */
    public AttentionConfig withSinks() {
        return new AttentionConfig(numHeads, numKvHeads, headDim, qkvBias, oProjBias, qkNorm, slidingWindow, slidingLayers, fusedQkv, scale, softcap, mla, true, outputGate);
    }

    /** This attention with Qwen3-Next's output gate. */
    public AttentionConfig withOutputGate() {
        return new AttentionConfig(numHeads, numKvHeads, headDim, qkvBias, oProjBias, qkNorm, slidingWindow, slidingLayers, fusedQkv, scale, softcap, mla, sinks, true);
    }

    /** Projected q/k/v attention (no latent attention). */
    public AttentionConfig(int numHeads, int numKvHeads, int headDim, boolean qkvBias, boolean oProjBias, QkNorm qkNorm,
                           int slidingWindow, List<Boolean> slidingLayers, boolean fusedQkv, double scale, double softcap) {
        this(numHeads, numKvHeads, headDim, qkvBias, oProjBias, qkNorm, slidingWindow, slidingLayers, fusedQkv, scale, softcap, null);
    }

    /** The window of {@code layer}: keys at most window - 1 positions before the query, or 0 for full causal attention. */
    public int windowOf(int layer) { return slidingLayers.get(layer) ? slidingWindow : 0; }
}
