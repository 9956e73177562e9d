package io.jswift.models.vit;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.VitConfig;
import io.jswift.nn.Activation;
import io.jswift.nn.LayerNorm;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.AttentionSpec;

/**
 * HF ViTLayer (pre-LN): h = x + attention(layernorm_before(x)); out = h + output.dense(act(intermediate.dense(
 * layernorm_after(h)))). Paths: attention.attention.{query,key,value}, attention.output.dense,
 * intermediate.dense, output.dense. Dims: B batch, N tokens (patches + cls), C hidden, H heads, D = C / H.
 */
final class VitLayer extends Module {
    private final int heads, headDim;
    private final Activation act;
    private final LayerNorm layernormBefore, layernormAfter;
    private final Container selfAttention, attentionOutput, intermediate, output;

    VitLayer(VitConfig c, Generator gen) {
        heads = c.numHeads();
        headDim = c.hiddenSize() / c.numHeads();
        act = Activation.fromHf(c.hiddenAct());
        int hidden = c.hiddenSize();
        Container attention = registerModule("attention", new Container());
        selfAttention = attention.add("attention", new Container());
        selfAttention.add("query", new Linear(hidden, hidden, c.qkvBias(), gen));
        selfAttention.add("key", new Linear(hidden, hidden, c.qkvBias(), gen));
        selfAttention.add("value", new Linear(hidden, hidden, c.qkvBias(), gen));
        attentionOutput = attention.add("output", new Container());
        attentionOutput.add("dense", new Linear(hidden, hidden, true, gen));
        intermediate = registerModule("intermediate", new Container());
        intermediate.add("dense", new Linear(hidden, c.intermediateSize(), true, gen));
        output = registerModule("output", new Container());
        output.add("dense", new Linear(c.intermediateSize(), hidden, true, gen));
        layernormBefore = registerModule("layernorm_before", new LayerNorm(hidden, c.layerNormEps()));
        layernormAfter = registerModule("layernorm_after", new LayerNorm(hidden, c.layerNormEps()));
    }

    Variable forward(Variable x) {
        int b = x.size(0), n = x.size(1);
        Variable normed = layernormBefore.forward(x);
        Variable q = split(LinearLayer.child(selfAttention, "query").forward(normed), b, n);
        Variable k = split(LinearLayer.child(selfAttention, "key").forward(normed), b, n);
        Variable v = split(LinearLayer.child(selfAttention, "value").forward(normed), b, n);
        Variable attn = Fused.attention(q, k, v, new AttentionSpec(1.0 / Math.sqrt(headDim), false, null, null));
        Variable merged = Views.reshape(Views.transpose(attn, 1, 2), b, n, heads * headDim);
        Variable h = Elementwise.add(x, LinearLayer.child(attentionOutput, "dense").forward(merged));
        Variable mlp = act.apply(LinearLayer.child(intermediate, "dense").forward(layernormAfter.forward(h)));
        return Elementwise.add(h, LinearLayer.child(output, "dense").forward(mlp));
    }

    private Variable split(Variable t, int b, int n) {
        return Views.transpose(Views.reshape(t, b, n, heads, headDim), 1, 2);
    }

    /** A named grouping level with no computation of its own (HF's nesting of ViTAttention / ViTSelfAttention). */
    static final class Container extends Module {
        <M extends Module> M add(String name, M m) { return registerModule(name, m); }
    }
}
