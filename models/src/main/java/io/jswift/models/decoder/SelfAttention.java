package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.spi.AttentionSpec;

/** The self-attention of a decoder layer: {@link DecoderAttention} (projected q/k/v) or {@link LatentAttention} (DeepSeek's MLA). */
interface SelfAttention {
    /** x [B, T, C] → [B, T, C]; with a cache, attends over the cached positions plus these T. */
    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer);
}
