package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.models.config.DecoderConfig;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;

/**
 * The output layer of a causal LM whose decoder is a {@link DecoderStack}: {@code lm_head} (a child of {@code owner},
 * looked up on each call so that an adapter wrapping it counts) or, with tie_word_embeddings, the embedding matrix;
 * then Gemma 2's final soft-cap when configured. One definition for every model built on the stack.
 */
public record LmHead(Module owner, DecoderStack stack, DecoderConfig config) {
    /** Logits [..., V] of final hidden states [..., C]. */
    public Variable logits(Variable h) {
        Variable logits = config.tieWordEmbeddings() ? LinearAlgebra.linear(h, stack.embedTokens.weight().variable(), null)
                : LinearLayer.child(owner, "lm_head").forward(h);
        double cap = config.scaling().finalLogitSoftcap(); // Gemma 2: cap · tanh(logits / cap)
        if (cap == 0) return logits;
        return Elementwise.scale(Elementwise.unary(UnaryOp.TANH, Elementwise.scale(logits, 1 / cap)), cap);
    }

    /** The weight [V, C] when the logits are exactly h·Wᵀ (tied, or a plain lm_head without bias, adapter or soft-cap); else null. */
    public Variable plainWeight() {
        if (config.scaling().finalLogitSoftcap() > 0) return null;
        if (config.tieWordEmbeddings()) return stack.embedTokens.weight().variable();
        if (owner.children().get("lm_head") instanceof Linear plain && plain.bias() == null) return plain.weight().variable();
        return null;
    }

    /**
     * HF's causal-LM loss of hidden states [B, T, C]: a plain head never materializes the [B·T, V] logits; an adapted,
     * biased or soft-capped head computes them as the forward does.
     */
    public Variable loss(Variable h, Tensor labels, double numItemsInBatch) {
        Variable head = plainWeight();
        if (head == null) return CausalLmLoss.apply(logits(h), labels, numItemsInBatch);
        return CausalLmLoss.fromHidden(h, head, labels, numItemsInBatch);
    }
}
