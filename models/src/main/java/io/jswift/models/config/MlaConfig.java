package io.jswift.models.config;

/**
 * DeepSeek's multi-head latent attention (HF DeepseekV2Attention / DeepseekV3Attention): queries from {@code q_proj}, or
 * through a rank-{@code qLoraRank} bottleneck ({@code q_a_proj} → {@code q_a_layernorm} → {@code q_b_proj}; 0: none);
 * keys and values from a rank-{@code kvLoraRank} latent ({@code kv_a_proj_with_mqa} → {@code kv_a_layernorm} →
 * {@code kv_b_proj}), which also emits one rotary key part of {@code qkRopeHeadDim} shared by every head. Each query
 * and key head is {@code qkNopeHeadDim} dims without position and {@code qkRopeHeadDim} rotated ones (interleaved pairs
 * when {@code interleavedRope}: V2 always, V3 per rope_interleave); value heads are {@code vHeadDim}. {@code bias}
 * (attention_bias): biases on q_a_proj, kv_a_proj_with_mqa and o_proj.
 */
public record MlaConfig(int qLoraRank, int kvLoraRank, int qkNopeHeadDim, int qkRopeHeadDim, int vHeadDim, boolean bias, boolean interleavedRope) {
    public MlaConfig {
        if (qLoraRank < 0 || kvLoraRank <= 0 || qkNopeHeadDim < 0 || qkRopeHeadDim <= 0 || qkRopeHeadDim % 2 != 0 || vHeadDim <= 0) {
            throw new IllegalArgumentException("latent attention needs q_lora_rank >= 0 (null: none), kv_lora_rank > 0, qk_nope_head_dim >= 0, "
                    + "an even qk_rope_head_dim > 0 and v_head_dim > 0; got " + qLoraRank + ", " + kvLoraRank + ", " + qkNopeHeadDim + ", "
                    + qkRopeHeadDim + ", " + vHeadDim);
        }
    }

    /** A query / key head: qk_nope_head_dim + qk_rope_head_dim (transformers' qk_head_dim). */
    public int qkHeadDim() { return qkNopeHeadDim + qkRopeHeadDim; }
}
