package io.jswift.models.vit;

import io.jswift.autograd.Variable;
import io.jswift.models.config.VitConfig;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;

/** HF ViTForImageClassification: {@code vit.*} (no pooler) and {@code classifier} on the final cls token. */
public final class VitForImageClassification extends Module {
    private final VitModel vit;

    public VitForImageClassification(VitConfig config, Generator gen) {
        if (config.numLabels() <= 0) throw new IllegalArgumentException("ViTForImageClassification needs num_labels > 0");
        vit = registerModule("vit", new VitModel(config, false, gen));
        registerModule("classifier", new Linear(config.hiddenSize(), config.numLabels(), true, gen));
    }

    /** pixels [B, C, H, W] → logits [B, labels]. */
    public Variable forward(Variable pixels) {
        return LinearLayer.child(this, "classifier").forward(VitModel.clsToken(vit.forward(pixels)));
    }
}
