package io.jswift.models.config;

import io.jswift.tensor.DType;

/**
 * A decoder-only causal LM as nested records: the layers' attention, MLP, rotary embedding and norms, plus the
 * model-wide sizes, token ids and checkpoint dtype. {@code moe}: the experts of the sparse layers, or null for a dense model. {@code linearAttention}: the Gated DeltaNet
 * of the layers that use it instead of self-attention (Qwen3-Next), or null. {@code architecture} is HF's {@code architectures[0]}.
 * Dims: V vocab, C hidden, L layers (see {@link AttentionConfig} for heads).
 */
public record DecoderConfig(String architecture, int vocabSize, int hiddenSize, int numLayers,
                            AttentionConfig attention, MlpConfig mlp, MoeConfig moe, RopeConfig rope, NormConfig norm, ScalingConfig scaling,
                            boolean tieWordEmbeddings, DType dtype, int[] bosTokenIds, int[] eosTokenIds, Integer padTokenId,
                            GatedDeltaNetConfig linearAttention) {
    public DecoderConfig {
        if (vocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException("vocab_size, hidden_size and num_hidden_layers must be > 0, got "
                    + vocabSize + ", " + hiddenSize + ", " + numLayers);
        }
        if (attention.slidingLayers().size() != numLayers) {
            throw new IllegalArgumentException("layer_types has " + attention.slidingLayers().size() + " entries for " + numLayers + " layers");
        }
        if (moe != null && moe.sparseLayers().size() != numLayers) {
            throw new IllegalArgumentException("the MoE layer pattern has " + moe.sparseLayers().size() + " entries for " + numLayers + " layers");
        }
        if (linearAttention != null && linearAttention.linearLayers().size() != numLayers) {
            throw new IllegalArgumentException("layer_types has " + linearAttention.linearLayers().size() + " entries for " + numLayers + " layers");
        }
    }

    /** Every layer full attention (no linear-attention layers). */
    public DecoderConfig(String architecture, int vocabSize, int hiddenSize, int numLayers, AttentionConfig attention, MlpConfig mlp, MoeConfig moe,
                         RopeConfig rope, NormConfig norm, ScalingConfig scaling, boolean tieWordEmbeddings, DType dtype, int[] bosTokenIds,
                         int[] eosTokenIds, Integer padTokenId) {
        this(architecture, vocabSize, hiddenSize, numLayers, attention, mlp, moe, rope, norm, scaling, tieWordEmbeddings, dtype, bosTokenIds,
                eosTokenIds, padTokenId, null);
    }

    /** Whether {@code layer} is a Gated DeltaNet linear-attention layer (Qwen3-Next) rather than self-attention. */
    public boolean linearAttention(int layer) { return linearAttention != null && linearAttention.linear(layer); }

    /** Rotated dims per head: the rope share of the head dim, or latent attention's qk_rope_head_dim. */
    public int rotaryDim() {
        return attention.mla() != null ? attention.mla().qkRopeHeadDim() : rope.rotaryDim(attention.headDim());
    }
}
