package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.nn.HfInit;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

/**
 * transformers' {@code *ForSequenceClassification} on a decoder (GenericForSequenceClassification): the decoder body
 * under {@code model.} and {@code score}, a Linear C → L without bias; a sequence's logits are the score of its last
 * non-pad token. A reward model is this with L = 1 (TRL's RewardTrainer, ms-swift's rlhf_type rm).
 * Dims: B batch, T tokens, C hidden, L labels.
 *
 * <p>The causal LM it is built on computes the hidden states; only its body is a child here, so the state dict is
 * exactly HF's ({@code model.*}, {@code score.weight}) and an untied {@code lm_head} is neither saved nor trained.
 */
public final class DecoderClassifier extends Module {
    public static final String SCORE = "score";

    private final CausalLm decoder;
    private final int numLabels;
    private final Integer padTokenId;

    /**
     * @param decoder    the causal LM whose body ({@code model}) this classifier reads
     * @param score      [L, C] weight, no bias (meta when a checkpoint or adapter will fill it)
     * @param padTokenId pad id that marks where a sequence ends (config.json's pad_token_id); null: the last position
     */
    public DecoderClassifier(CausalLm decoder, Linear score, Integer padTokenId) {
        if (score.bias() != null) throw new IllegalArgumentException("the score head of a sequence classifier has no bias");
        if (score.inFeatures() != decoder.config().hiddenSize()) {
            throw new IllegalArgumentException("score takes " + score.inFeatures() + " features but the decoder's hidden size is " + decoder.config().hiddenSize());
        }
        Module body = decoder.children().get("model");
        if (body == null) throw new IllegalArgumentException(decoder.config().architecture() + " has no 'model' body to put a score head on");
        this.decoder = decoder;
        this.numLabels = score.outFeatures();
        this.padTokenId = padTokenId;
        registerModule("model", body);
        registerModule(SCORE, score);
    }

    /**
     * A new head on a causal LM, initialized as transformers' _init_weights does for a Linear (N(0, initializer_range))
     * — what {@code AutoModelForSequenceClassification.from_pretrained} of a causal checkpoint does with the missing
     * score.weight.
     */
    public static DecoderClassifier withNewScore(CausalLm decoder, int numLabels, Integer padTokenId, double initializerRange, Generator gen) {
        Linear score = new Linear(decoder.config().hiddenSize(), numLabels, false, gen);
        HfInit.apply(score, initializerRange, gen);
        return new DecoderClassifier(decoder, score, padTokenId);
    }

    /** The causal LM computing the hidden states (its config, chat template and tokenizer are the classifier's). */
    public CausalLm decoder() { return decoder; }

    public int numLabels() { return numLabels; }

    public Integer padTokenId() { return padTokenId; }

    /** The score head (LoRA never wraps it: PEFT trains it whole, as modules_to_save). */
    public Linear score() { return (Linear) children().get(SCORE); }

    /** The pooled logits [B, L]: the score of each row's last non-pad token ({@link #lastNonPad}). */
    public Variable forward(DecoderInput in) {
        int[] last = lastNonPad(in.inputIds(), padTokenId);
        return pooled(decoder.hiddenStates(in), last);
    }

    /** The score [B, L] of the given position of each row, from final hidden states [B, T, C]. */
    public Variable pooled(Variable hidden, int[] positions) {
        int b = hidden.size(0), t = hidden.size(1), c = hidden.size(2);
        if (positions.length != b) throw new IllegalArgumentException(positions.length + " positions for " + b + " rows");
        long[] flat = new long[b];
        for (int r = 0; r < b; r++) {
            if (positions[r] < 0 || positions[r] >= t) throw new IllegalArgumentException("position " + positions[r] + " outside [0, " + t + ")");
            flat[r] = (long) r * t + positions[r];
        }
        Variable rows = Views.indexSelect(Views.reshape(hidden, b * t, c), 0, Tensor.ofLongs(flat, b).to(hidden.value().device()));
        return score().forward(rows);
    }

    /**
     * transformers' rule: the rightmost position whose id is not {@code padTokenId} ((arange · (ids != pad)).argmax,
     * so 0 when every id is the pad); without a pad id, the last position (transformers refuses batches > 1 then).
     */
    public static int[] lastNonPad(Tensor inputIds, Integer padTokenId) {
        int b = inputIds.size(0), t = inputIds.size(1);
        if (padTokenId == null && b > 1) {
            throw new IllegalArgumentException("a batch of " + b + " sequences needs pad_token_id in config.json to find where each ends");
        }
        long[] ids = inputIds.toLongArray();
        int[] out = new int[b];
        for (int r = 0; r < b; r++) out[r] = lastNonPad(ids, r * t, t, padTokenId);
        return out;
    }

    /** {@link #lastNonPad(Tensor, Integer)} of one unpadded sequence (right padding with the pad id changes nothing). */
    public static int lastNonPad(int[] ids, Integer padTokenId) {
        long[] wide = new long[ids.length];
        for (int j = 0; j < ids.length; j++) wide[j] = ids[j];
        return lastNonPad(wide, 0, ids.length, padTokenId);
    }

    private static int lastNonPad(long[] ids, int from, int t, Integer padTokenId) {
        if (padTokenId == null) return t - 1;
        for (int j = t - 1; j >= 0; j--) if (ids[from + j] != padTokenId) return j;
        return 0;
    }
}
