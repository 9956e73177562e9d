package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Tensor;

/**
 * HF ForCausalLMLoss: logits [B, T, V] predict labels shifted by one (position t predicts labels[t+1]);
 * labels of -100 are ignored; the loss is the mean over the remaining targets, or the sum divided by
 * {@code numItemsInBatch} when given (so gradient accumulation matches one large batch).
 */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    public static Variable apply(Variable logits, Tensor labels, Double numItemsInBatch) {
        int b = logits.size(0), t = logits.size(1), v = logits.size(2);
        if (labels.rank() != 2 || labels.size(0) != b || labels.size(1) != t) {
            throw new IllegalArgumentException("labels of shape " + java.util.Arrays.toString(labels.shape())
                    + " do not match logits of shape " + java.util.Arrays.toString(logits.shape()));
        }
        Tensor shifted = shiftLeft(labels);
        Variable flat = Views.reshape(logits, b * t, v);
        Tensor targets = shifted.reshape(b * t);
        return numItemsInBatch == null
                ? Losses.crossEntropy(flat, targets, Losses.IGNORE_INDEX)
                : Losses.crossEntropy(flat, targets, Losses.IGNORE_INDEX, numItemsInBatch);
    }

    /**
     * The same loss from the final hidden states [B, T, H] and the LM head's weight [V, H] (no bias), without
     * materializing the [B·T, V] logits when the head is frozen (see Losses#linearCrossEntropy).
     */
    public static Variable fromHidden(Variable hidden, Variable headWeight, Tensor labels, double numItemsInBatch) {
        int b = hidden.size(0), t = hidden.size(1), c = hidden.size(2);
        if (labels.rank() != 2 || labels.size(0) != b || labels.size(1) != t) {
            throw new IllegalArgumentException("labels of shape " + java.util.Arrays.toString(labels.shape())
                    + " do not match hidden states of shape " + java.util.Arrays.toString(hidden.shape()));
        }
        Tensor targets = shiftLeft(labels).reshape(b * t);
        return Losses.linearCrossEntropy(Views.reshape(hidden, b * t, c), headWeight, targets, Losses.IGNORE_INDEX, numItemsInBatch);
    }

    /** labels[:, 1:] padded with -100 at the end (HF pads the labels then shifts). */
    public static Tensor shiftLeft(Tensor labels) {
        int b = labels.size(0), t = labels.size(1);
        long[] src = labels.toLongArray();
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) out[i * t + j] = j + 1 < t ? src[i * t + j + 1] : Losses.IGNORE_INDEX;
        }
        return Tensor.ofLongs(out, b, t).to(labels.device());
    }
}
