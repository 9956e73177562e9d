package io.jswift.models.config;

import io.jswift.tensor.DType;

/** A parsed config.json: exactly one of the family configs (the architecture registry picks the parser). */
public sealed interface ModelConfig permits ModelConfig.Decoder, ModelConfig.DecoderClassifier, ModelConfig.Vit, ModelConfig.VisionLanguage {
    /** The checkpoint dtype (`dtype` / `torch_dtype`). */
    DType dtype();

    record Decoder(DecoderConfig config) implements ModelConfig {
        public DType dtype() { return config.dtype(); }
    }

    /**
     * A decoder with a sequence-classification head ({@code *ForSequenceClassification}); numLabels as transformers
     * counts them (id2label's size, else num_labels, else its default 2).
     */
    record DecoderClassifier(DecoderConfig config, int numLabels) implements ModelConfig {
        public DType dtype() { return config.dtype(); }
    }

    record Vit(VitConfig config) implements ModelConfig {
        public DType dtype() { return config.dtype(); }
    }

    /** A decoder fed by a vision tower (Qwen2-VL, Qwen2.5-VL). */
    record VisionLanguage(Qwen2VlConfig config) implements ModelConfig {
        public DType dtype() { return config.text().dtype(); }
    }
}
