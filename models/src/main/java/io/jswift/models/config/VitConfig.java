package io.jswift.models.config;

import io.jswift.tensor.DType;

/** ViT (Dosovitskiy et al. 2021) as HF ViTConfig; numLabels is 0 for the bare ViTModel. */
public record VitConfig(String architecture, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                        String hiddenAct, double layerNormEps, int imageSize, int patchSize, int numChannels,
                        boolean qkvBias, int numLabels, DType dtype) {
    /** {@code classifier}: ViTForImageClassification (labels from id2label or num_labels), else the bare ViTModel. */
    public static VitConfig parse(ConfigJson c, boolean classifier) {
        int labels = 0;
        if (classifier) {
            ConfigJson id2label = c.optObject("id2label");
            labels = id2label != null ? id2label.root().size() : c.optInt("num_labels", 2);
        }
        int image = c.optInt("image_size", 224), patch = c.optInt("patch_size", 16);
        if (image % patch != 0) throw new IllegalArgumentException(c.file() + ": image_size " + image + " is not a multiple of patch_size " + patch);
        return new VitConfig(c.root().path("architectures").path(0).asText(), c.requireInt("hidden_size"), c.requireInt("num_hidden_layers"),
                c.requireInt("num_attention_heads"), c.requireInt("intermediate_size"), c.optString("hidden_act", "gelu"),
                c.optDouble("layer_norm_eps", 1e-12), image, patch, c.optInt("num_channels", 3), c.optBool("qkv_bias", true), labels,
                ModelDType.parse(c));
    }

    public int numPatches() { return (imageSize / patchSize) * (imageSize / patchSize); }
}
