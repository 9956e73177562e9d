package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.AttentionConfig;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.MlaConfig;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

import java.util.List;

/**
 * DeepSeek's multi-head latent attention (HF DeepseekV2Attention / DeepseekV3Attention, {@link MlaConfig}):
 * <pre>
 *   q = q_proj(x)  or  q_b_proj(q_a_layernorm(q_a_proj(x)))            [B, T, H·(N + R)] → heads: q_nope [N] | q_rot [R]
 *   kv_a_proj_with_mqa(x) = latent [L] | k_rot [R] (one rotary key for all heads)
 *   kv_b_proj(kv_a_layernorm(latent)) → per head k_nope [N] | v [V]
 *   k = k_nope | rope(k_rot), q = q_nope | rope(q_rot), softmax(q·k · scale) v → o_proj
 * </pre>
 * The rotary parts turn interleaved pairs (V2's complex product, V3's rope_interleave): gathering their even dims first
 * turns that into the split-halves rotation of the fused rope kernel, applied to q and k alike, so q·k is unchanged.
 * q_a_layernorm and kv_a_layernorm use eps 1e-6 whatever rms_norm_eps says (transformers builds them with the default).
 * The fused attention takes the query/key heads of N + R and the value heads of V as they are (AttentionRules: the
 * output has v's head dim), so no head is zero-padded to the longer of the two.
 *
 * <p>KV cache: a latent cache ({@link KvCache#latent()}, what {@code newCache} makes) holds per position only the
 * normed latent and the rotated rotary key (L + R floats, as vLLM's MLA cache; transformers 5 caches the latent too but
 * re-expands it every step), and attention absorbs the up-projection (DeepSeek-V2 §2.1.2): with kv_b_proj's per-head
 * blocks W_UK [N, L] and W_UV [V, L], q_nope·k_nope = (q_nope·W_UK)·latent and Σ p·v = W_UV·(Σ p·latent), so the heads
 * attend as one kv head, queries [q_nope·W_UK | q_rot] of L + R against keys [latent | k_rot], values the latent, and
 * each head's output [L] is multiplied by its W_UVᵀ. Prefill through such a cache runs the same way (more FLOPs than
 * the expanded form at T > 1: vLLM expands for prefill). The server's paged pool and a kv_b_proj behind an adapter
 * (LoRA, 4-bit: no plain weight to absorb) keep the expanded per-head keys (N + R) and values (V), unpadded.
 * Dims: B batch, T tokens, C hidden, H heads, N qk_nope_head_dim, R qk_rope_head_dim, V v_head_dim, L kv_lora_rank.
 */
final class LatentAttention extends Module implements SelfAttention {
    private static final double LATENT_NORM_EPS = 1e-6; // DeepseekV2RMSNorm / DeepseekV3RMSNorm's default

    private final MlaConfig mla;
    private final int numHeads;
    private final RMSNorm qANorm;        // [q_lora_rank] or null
    private final RMSNorm kvANorm;       // [L]
    private final Tensor pairOrder;      // [R] I64 even dims first, or null (V3 with rope_interleave false)

    LatentAttention(DecoderConfig config, int layer, Generator gen) {
        AttentionConfig c = config.attention();
        mla = c.mla();
        numHeads = c.numHeads();
        int hidden = config.hiddenSize(), qk = mla.qkHeadDim();
        if (mla.qLoraRank() == 0) {
            registerModule("q_proj", new Linear(hidden, numHeads * qk, false, gen));
            qANorm = null;
        } else {
            registerModule("q_a_proj", new Linear(hidden, mla.qLoraRank(), mla.bias(), gen));
            qANorm = registerModule("q_a_layernorm", new RMSNorm(mla.qLoraRank(), LATENT_NORM_EPS));
            registerModule("q_b_proj", new Linear(mla.qLoraRank(), numHeads * qk, false, gen));
        }
        registerModule("kv_a_proj_with_mqa", new Linear(hidden, mla.kvLoraRank() + mla.qkRopeHeadDim(), mla.bias(), gen));
        kvANorm = registerModule("kv_a_layernorm", new RMSNorm(mla.kvLoraRank(), LATENT_NORM_EPS));
        registerModule("kv_b_proj", new Linear(mla.kvLoraRank(), numHeads * (mla.qkNopeHeadDim() + mla.vHeadDim()), false, gen));
        registerModule("o_proj", new Linear(numHeads * mla.vHeadDim(), hidden, mla.bias(), gen));
        pairOrder = mla.interleavedRope() ? DecoderAttention.pairOrder(mla.qkRopeHeadDim(), mla.qkRopeHeadDim()) : null;
    }

    @Override
    public Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, KvCache cache, int layer) {
        int b = x.size(0), t = x.size(1), nope = mla.qkNopeHeadDim(), r = mla.qkRopeHeadDim(), v = mla.vHeadDim();
        Variable qFlat = qANorm == null ? LinearLayer.child(this, "q_proj").forward(x)
                : LinearLayer.child(this, "q_b_proj").forward(qANorm.forward(LinearLayer.child(this, "q_a_proj").forward(x)));
        Variable q = Views.transpose(Views.reshape(qFlat, b, t, numHeads, mla.qkHeadDim()), 1, 2); // [B, H, T, N + R]
        Variable qRot = rotate(Views.narrow(q, 3, nope, r), rope);

        Variable compressed = LinearLayer.child(this, "kv_a_proj_with_mqa").forward(x);           // [B, T, L + R]
        Variable latent = kvANorm.forward(Views.narrow(compressed, 2, 0, mla.kvLoraRank()));
        Variable kRot = rotate(Views.reshape(Views.narrow(compressed, 2, mla.kvLoraRank(), r), b, 1, t, r), rope); // [B, 1, T, R]
        if (cache != null && cache.latent()) return absorbed(q, qRot, latent, kRot, spec, cache, layer);
        Variable kv = Views.transpose(Views.reshape(LinearLayer.child(this, "kv_b_proj").forward(latent), b, t, numHeads, nope + v), 1, 2);
        Variable values = Views.narrow(kv, 3, nope, v);                                              // [B, H, T, V]

        Variable keys = Views.concat(List.of(Views.narrow(kv, 3, 0, nope), Views.expand(kRot, b, numHeads, t, r)), 3);
        Variable queries = nope == 0 ? qRot : Views.concat(List.of(Views.narrow(q, 3, 0, nope), qRot), 3);
        // [B, H, T, V]
        Variable out = cache != null ? cache.attend(layer, queries, keys, values, spec) : Fused.attention(queries, keys, values, spec);
        Variable merged = Views.reshape(Views.transpose(out, 1, 2), b, t, numHeads * v);
        return LinearLayer.child(this, "o_proj").forward(merged);
    }

    /** Whether kv_b_proj is a plain Linear, whose weight the latent-cache path absorbs (an adapter has no such weight). */
    boolean absorbs() {
        return children().get("kv_b_proj") instanceof Linear;
    }

    /**
     * Attention over a latent cache with the up-projection absorbed (see the class comment): q [B, H, T, N + R] with its
     * rotated part qRot [B, H, T, R], latent [B, T, L], kRot [B, 1, T, R] → o_proj of the [B, T, H·V] heads.
     */
    private Variable absorbed(Variable q, Variable qRot, Variable latent, Variable kRot, AttentionSpec spec, KvCache cache, int layer) {
        if (!absorbs()) {
            throw new IllegalStateException("a latent KV cache needs a plain kv_b_proj to absorb; an adapter was attached to it after the cache was made");
        }
        int b = q.size(0), t = q.size(2), nope = mla.qkNopeHeadDim(), v = mla.vHeadDim(), rank = mla.kvLoraRank();
        Variable w = ((Linear) children().get("kv_b_proj")).weight().variable();                     // [H·(N + V), L]
        if (w.value().dtype() != q.value().dtype()) w = Variable.constant(w.value().backend().cast(w.value(), q.value().dtype()));
        Variable perHead = Views.reshape(w, numHeads, nope + v, rank);
        Variable qLatent = nope == 0                                                                   // q_nope·W_UK [B, H, T, L]
                ? Variable.constant(Tensor.zeros(q.value().dtype(), b, numHeads, t, rank).to(q.value().device()))
                : LinearAlgebra.matmul(Views.narrow(q, 3, 0, nope), Views.narrow(perHead, 1, 0, nope), false, false);
        Variable latentHead = Views.reshape(latent, b, 1, t, rank);
        Variable queries = Views.concat(List.of(qLatent, qRot), 3);                                   // [B, H, T, L + R]
        Variable keys = Views.concat(List.of(latentHead, kRot), 3);                                   // [B, 1, T, L + R]
        Variable outLatent = cache.attend(layer, queries, keys, latentHead, spec);                    // [B, H, T, L]
        Variable out = LinearAlgebra.matmul(outLatent, Views.narrow(perHead, 1, nope, v), false, true); // ·W_UVᵀ [B, H, T, V]
        Variable merged = Views.reshape(Views.transpose(out, 1, 2), b, t, numHeads * v);
        return LinearLayer.child(this, "o_proj").forward(merged);
    }

    /** [B, h, T, R] rotated (after the pair gather when interleaved); the tables are [T, R] or [B, T, R]. */
    private Variable rotate(Variable x, RotaryEmbedding.Tables rope) {
        if (pairOrder != null) x = Views.indexSelect(x, 3, pairOrder.to(x.value().device()));
        return Fused.rope(x, rope.cos(), rope.sin());
    }
}
