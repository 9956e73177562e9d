package io.jswift.models.decoder;

import io.jswift.models.CausalLm;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.HfInit;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

/**
 * Initializes a causal LM as transformers' {@code AutoModelForCausalLM.from_config} does: N(0, initializer_range)
 * Linear / Embedding weights, zero biases, unit norms, and (LlamaModel / Qwen2Model pass
 * {@code padding_idx=pad_token_id} to nn.Embedding) a zero embedding row for the pad token.
 */
public final class DecoderInit {
    private DecoderInit() {}

    /** Overwrites every parameter of {@code model} (built with any generator) and returns it. */
    public static CausalLm initialize(CausalLm model, double initializerRange, Generator gen) {
        DecoderConfig config = model.config();
        HfInit.apply(model, initializerRange, gen);
        Integer pad = config.padTokenId();
        if (pad != null) {
            if (pad < 0 || pad >= config.vocabSize()) {
                throw new IllegalArgumentException("pad_token_id " + pad + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            Tensor embed = model.namedParameters().get("model.embed_tokens.weight").value();
            for (int j = 0; j < config.hiddenSize(); j++) embed.setDouble(0, pad, j);
        }
        return model;
    }
}
