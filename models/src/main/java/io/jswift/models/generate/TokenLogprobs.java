package io.jswift.models.generate;

/**
 * Log-probability of a chosen token and of the {@code topIds.length} most likely ones, from the model's raw
 * logits before any penalty, temperature or filter (vLLM's default "raw_logprobs"); top ids most likely first.
 */
public record TokenLogprobs(int token, double logprob, int[] topIds, double[] topLogprobs) {
    /** log_softmax of {@code logits} (not modified) at {@code token}, and its {@code top} best entries. */
    public static TokenLogprobs of(float[] logits, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        int[] ids = TopLogits.largestIds(logits, Math.min(top, logits.length)); // equal logits: the lower id first
        double[] lps = new double[ids.length];
        for (int i = 0; i < ids.length; i++) lps[i] = logits[ids[i]] - logZ;
        return new TokenLogprobs(token, logits[token] - logZ, ids, lps);
    }
}
