package io.jswift.models;

import io.jswift.autograd.Variable;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.vision.PromptImages;
import io.jswift.models.vision.VisionInput;
import io.jswift.nn.Module;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

/**
 * A causal language model as trainers, the generator and the CLI see it, whatever its family's assembly.
 * Dims: B batch, T tokens, C hidden, V vocab.
 *
 * <p>An abstract Module (one level, no behaviour of its own) rather than an interface: LoRA injection, adapters,
 * state dicts and writers take a Module, and a model must pass there as it is.
 */
public abstract class CausalLm extends Module {
    /** The parsed config.json. */
    public abstract DecoderConfig config();

    /** Logits [B, T, V] (f32). */
    public Variable forward(DecoderInput in) { return forward(in, 0); }

    /** Logits of the last {@code logitsToKeep} positions [B, min(k, T), V], or of all when 0 (HF's logits_to_keep). */
    public abstract Variable forward(DecoderInput in, int logitsToKeep);

    /** HF's causal-LM loss: labels unshifted, -100 ignored, sum / {@code numItemsInBatch}. */
    public abstract Variable causalLmLoss(DecoderInput in, Tensor labels, double numItemsInBatch);

    /** The final-norm hidden states [B, T, C] (what the LM head reads). */
    public abstract Variable hiddenStates(DecoderInput in);

    /**
     * Whether the model reads images ({@link VisionInput}) with its tokens: vision-language models override the
     * three methods below; a text-only model refuses images with one clear line.
     */
    public boolean acceptsImages() { return false; }

    /** As {@link #forward(DecoderInput, int)} with the images of this call (null: none), placed at their image tokens. */
    public Variable forward(DecoderInput in, VisionInput images, int logitsToKeep) {
        refuseImages(images);
        return forward(in, logitsToKeep);
    }

    /** As {@link #causalLmLoss(DecoderInput, Tensor, double)} with images (null: none). */
    public Variable causalLmLoss(DecoderInput in, VisionInput images, Tensor labels, double numItemsInBatch) {
        refuseImages(images);
        return causalLmLoss(in, labels, numItemsInBatch);
    }

    /** As {@link #hiddenStates(DecoderInput)} with images (null: none). */
    public Variable hiddenStates(DecoderInput in, VisionInput images) {
        refuseImages(images);
        return hiddenStates(in);
    }

    /**
     * Encodes the images of {@code prompt} [T] once (the vision tower, and the M-RoPE positions of the whole prompt) so
     * that it can be prefilled in chunks with {@link #forwardChunk}; text-only models refuse.
     */
    public PromptImages encodeImages(long[] prompt, VisionInput images) {
        refuseImages(images);
        throw new IllegalArgumentException("no images to encode");
    }

    /**
     * A prefill chunk of a prompt with images: {@code in} holds prompt tokens [from, from + T) of the prompt that
     * {@code images} encoded (batch 1, its cache holding the first {@code from}); as {@link #forward(DecoderInput,
     * VisionInput, int)} over the whole prompt would compute these positions, with the chunk's image features and
     * positions sliced from {@code images}. Text-only models refuse.
     */
    public Variable forwardChunk(DecoderInput in, PromptImages images, int from, int logitsToKeep) {
        throw new IllegalArgumentException(config().architecture() + " is a text-only model and takes no images");
    }

    private void refuseImages(VisionInput images) {
        if (images != null && !acceptsImages()) {
            throw new IllegalArgumentException(config().architecture() + " is a text-only model and takes no images");
        }
    }

    /**
     * Whether {@link DecoderInput#sharedPrefix()} inputs give each completion exactly the hidden states it has alone after
     * the prompt: true only where every token mixing is attention whose mask follows the segments (no sliding window,
     * which counts positions in the packed row, no recurrent or convolutional layer, no image tokens).
     */
    public boolean sharesPrefixes() { return false; }

    /**
     * Whether several sequences' new tokens may run as the rows [N, 1] of one forward over a
     * {@link io.jswift.models.decoder.PackedKvCache} (the server's fused engine step), each row computing what it computes
     * in its own sequence's forward: true only where a token depends on the others through attention alone (no
     * recurrent layer carrying a state along the sequence), and on its own position alone (no rope whose tables depend
     * on the longest position of the call, as LongRoPE's switch to its long factors does; no images to place).
     */
    public boolean packsSequences() { return false; }

    /**
     * The logits [..., V] of final hidden states [..., C]: the LM head and whatever the model applies after it
     * (Gemma 2's final soft-cap), exactly as {@link #forward} computes them.
     */
    public abstract Variable logitsFromHidden(Variable hidden);

    /**
     * The head's weight [V, C] when the logits are exactly hidden·Wᵀ — tied embeddings, or an lm_head with neither bias
     * nor adapter, and no soft-cap — so that a loss may run the head in chunks without the [tokens, V] logits; else null.
     */
    public abstract Variable plainHeadWeight();

    /** A KV cache sized for {@code capacity} positions of {@code batch} sequences, on the weights' device. */
    public abstract KvCache newCache(int batch, int capacity);

    public final int vocabSize() { return config().vocabSize(); }

    public final int[] eosTokenIds() { return config().eosTokenIds().clone(); }

    /** The checkpoint dtype (what a saved model is written as by default). */
    public final DType dtype() { return config().dtype(); }
}
