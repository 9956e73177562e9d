package io.jswift.models.qwen2vl;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.Qwen2VlVisionConfig;
import io.jswift.nn.GatedMlp;
import io.jswift.nn.LayerNorm;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.RotaryEmbedding;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * Qwen2VLVisionBlock / Qwen2_5_VLVisionBlock: h = x + attn(norm1(x)); out = h + mlp(norm2(h)). Attention: one
 * {@code attn.qkv} projection split into q | k | v, 2-D rotary on q and k, bidirectional attention masked to the
 * tokens of the same segment (an image, or a window of one), {@code attn.proj}. Qwen2-VL: LayerNorms and
 * {@code mlp.fc1} / {@code mlp.fc2}; Qwen2.5-VL: RMSNorms and a gated {@code mlp.gate_proj / up_proj / down_proj}
 * with biases. Dims: N patches, E embed, H heads, D = E / H.
 */
final class Qwen2VlVisionBlock extends Module {
    private static final double EPS = 1e-6; // both towers build their norms with eps=1e-6
    private final Qwen2VlVisionConfig config;
    private final Module norm1, norm2; // LayerNorm or RMSNorm [E]
    private final Attention attn;
    private final Module mlp;           // Mlp or GatedMlp

    Qwen2VlVisionBlock(Qwen2VlVisionConfig c, Generator gen) {
        config = c;
        int e = c.embedDim();
        norm1 = registerModule("norm1", c.windowed() ? new RMSNorm(e, EPS) : new LayerNorm(e, EPS));
        norm2 = registerModule("norm2", c.windowed() ? new RMSNorm(e, EPS) : new LayerNorm(e, EPS));
        attn = registerModule("attn", new Attention(e, gen));
        mlp = registerModule("mlp", c.windowed() ? new GatedMlp(e, c.mlpDim(), true, c.activation(), gen) : new Mlp(c, gen));
    }

    static Variable norm(Module m, Variable x) {
        return m instanceof RMSNorm r ? r.forward(x) : ((LayerNorm) m).forward(x);
    }

    /** x [N, E] → [N, E]; {@code segments} [1, N] I32: which tokens attend to each other. */
    Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec segments) {
        Variable h = Elementwise.add(x, attn.forward(norm(norm1, x), rope, segments, config.numHeads()));
        Variable normed = norm(norm2, h);
        Variable out = mlp instanceof GatedMlp gated ? gated.forward(normed) : ((Mlp) mlp).forward(normed);
        return Elementwise.add(h, out);
    }

    /** VisionAttention: qkv [3E, E] with bias, proj [E, E] with bias. */
    static final class Attention extends Module {
        private final int embed;

        Attention(int embed, Generator gen) {
            this.embed = embed;
            registerModule("qkv", new Linear(embed, 3 * embed, true, gen));
            registerModule("proj", new Linear(embed, embed, true, gen));
        }

        Variable forward(Variable x, RotaryEmbedding.Tables rope, AttentionSpec spec, int heads) {
            int n = x.size(0), d = embed / heads;
            // qkv(x).reshape(N, 3, H, D): q, k and v are the three column blocks of E, each split into heads
            Variable qkv = Views.reshape(LinearLayer.child(this, "qkv").forward(x), 1, n, 3, heads, d);
            Variable q = Fused.rope(part(qkv, 0, n, heads, d), rope.cos(), rope.sin());
            Variable k = Fused.rope(part(qkv, 1, n, heads, d), rope.cos(), rope.sin());
            Variable out = Fused.attention(q, k, part(qkv, 2, n, heads, d), spec); // [1, H, N, D]
            return LinearLayer.child(this, "proj").forward(Views.reshape(Views.transpose(out, 1, 2), n, embed));
        }

        /** [1, N, 3, H, D] → block {@code i} as [1, H, N, D]. */
        private static Variable part(Variable qkv, int i, int n, int heads, int d) {
            return Views.transpose(Views.reshape(Views.narrow(qkv, 2, i, 1), 1, n, heads, d), 1, 2);
        }
    }

    /** Qwen2-VL's VisionMlp: fc2(act(fc1(x))), both with bias. */
    static final class Mlp extends Module {
        private final Qwen2VlVisionConfig config;

        Mlp(Qwen2VlVisionConfig c, Generator gen) {
            this.config = c;
            registerModule("fc1", new Linear(c.embedDim(), c.mlpDim(), true, gen));
            registerModule("fc2", new Linear(c.mlpDim(), c.embedDim(), true, gen));
        }

        Variable forward(Variable x) {
            return LinearLayer.child(this, "fc2").forward(config.activation().apply(LinearLayer.child(this, "fc1").forward(x)));
        }
    }
}
