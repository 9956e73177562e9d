package io.jswift.models.vit;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.VitConfig;
import io.jswift.nn.LayerNorm;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.ModuleList;
import io.jswift.nn.Parameter;
import io.jswift.nn.PatchEmbedding;
import io.jswift.nn.Init;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.List;

/**
 * HF ViTModel: embeddings (cls_token, patch_embeddings.projection, position_embeddings), encoder.layer.N,
 * layernorm, and (when {@code withPooler}) pooler.dense + tanh on the cls token.
 */
public final class VitModel extends Module {
    private final VitConfig config;
    private final Embeddings embeddings;
    private final ModuleList<VitLayer> layers;
    private final LayerNorm layernorm;
    private final VitLayer.Container pooler; // holds dense (looked up at forward time, so LoRA can wrap it)

    public VitModel(VitConfig config, boolean withPooler, Generator gen) {
        this.config = config;
        embeddings = registerModule("embeddings", new Embeddings(config, gen));
        VitLayer.Container encoder = registerModule("encoder", new VitLayer.Container());
        List<VitLayer> list = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) list.add(new VitLayer(config, gen));
        layers = encoder.add("layer", new ModuleList<>(list));
        layernorm = registerModule("layernorm", new LayerNorm(config.hiddenSize(), config.layerNormEps()));
        if (withPooler) {
            pooler = registerModule("pooler", new VitLayer.Container());
            pooler.add("dense", new Linear(config.hiddenSize(), config.hiddenSize(), true, gen));
        } else {
            pooler = null;
        }
    }

    public VitConfig config() { return config; }

    /** pixels [B, C, H, W] → last hidden state [B, 1 + patches, C]. */
    public Variable forward(Variable pixels) {
        int[] s = pixels.shape();
        if (s.length != 4 || s[2] != config.imageSize() || s[3] != config.imageSize()) {
            throw new IllegalArgumentException("expected pixel values [B, " + config.numChannels() + ", " + config.imageSize() + ", "
                    + config.imageSize() + "], got " + java.util.Arrays.toString(s));
        }
        Variable x = embeddings.forward(pixels);
        for (int i = 0; i < layers.size(); i++) x = layers.get(i).forward(x);
        return layernorm.forward(x);
    }

    /** tanh(pooler.dense(h[:, 0])) [B, C]. */
    public Variable pool(Variable lastHidden) {
        if (pooler == null) throw new IllegalStateException("this ViTModel was built without a pooler");
        return Elementwise.unary(UnaryOp.TANH, LinearLayer.child(pooler, "dense").forward(clsToken(lastHidden)));
    }

    static Variable clsToken(Variable h) {
        return Views.reshape(Views.narrow(h, 1, 0, 1), h.size(0), h.size(2));
    }

    /** cls token + patch embeddings, plus learned position embeddings. */
    static final class Embeddings extends Module {
        private final Parameter clsToken, positionEmbeddings; // [1, 1, C], [1, N + 1, C]
        private final PatchEmbedding patches;

        Embeddings(VitConfig c, Generator gen) {
            clsToken = registerParameter("cls_token", new Parameter(Init.normal(gen, 0, 0.02, 1, 1, c.hiddenSize())));
            VitLayer.Container pe = registerModule("patch_embeddings", new VitLayer.Container());
            patches = pe.add("projection", new PatchEmbedding(c.numChannels(), c.hiddenSize(), c.patchSize(), gen));
            positionEmbeddings = registerParameter("position_embeddings",
                    new Parameter(Init.normal(gen, 0, 0.02, 1, c.numPatches() + 1, c.hiddenSize())));
        }

        Variable forward(Variable pixels) {
            Variable p = patches.forward(pixels);                                   // [B, N, C]
            int b = p.size(0), c = p.size(2);
            Variable cls = Views.expand(clsToken.variable(), b, 1, c);
            return Elementwise.add(Views.concat(List.of(cls, p), 1), positionEmbeddings.variable());
        }
    }
}
