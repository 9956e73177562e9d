package io.jswift.models.generate;

import io.jswift.tensor.Generator;

import java.util.Arrays;

/**
 * Picks the next token from one row of logits, in HF's order: repetition penalty, then temperature,
 * top-k, top-p (nucleus, Holtzman et al. 2020), then a seeded draw (or argmax when greedy).
 */
public final class Sampler {
    private final SamplingParams params;
    private final Generator rng;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.rng = new Generator(params.seed());
    }

    /** {@code logits} is modified in place; {@code seen} are the prompt and generated ids so far (for the penalty). */
    public int next(float[] logits, int[] seen, int seenLength) {
        return next(logits, seen, seenLength, seenLength);
    }

    /**
     * As {@link #next(float[], int[], int)}, where {@code seen[promptLength, seenLength)} are the generated ids: the
     * presence and frequency penalties count those only (vLLM's output_token_ids), the repetition penalty all.
     */
    public int next(float[] logits, int[] seen, int promptLength, int seenLength) {
        if (params.repetitionPenalty() != 1) applyRepetitionPenalty(logits, seen, seenLength, (float) params.repetitionPenalty());
        if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
            applyOpenAiPenalties(logits, seen, promptLength, seenLength, params.presencePenalty(), params.frequencyPenalty());
        }
        if (params.isGreedy()) return argmax(logits);
        float invT = (float) (1 / params.temperature());
        for (int i = 0; i < logits.length; i++) logits[i] *= invT;
        if (params.topK() > 0 && params.topK() < logits.length) keepTopK(logits, params.topK());
        double[] probs = softmax(logits);
        if (params.topP() < 1) keepNucleus(probs, params.topP());
        return draw(probs, rng.nextDouble());
    }

    static void applyRepetitionPenalty(float[] logits, int[] seen, int seenLength, float penalty) {
        boolean[] done = new boolean[logits.length];
        for (int i = 0; i < seenLength; i++) {
            int id = seen[i];
            if (id < 0 || id >= logits.length || done[id]) continue;
            done[id] = true;
            logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty;
        }
    }

    /** OpenAI: logit -= count * frequency_penalty + (count > 0) * presence_penalty, count over the generated ids. */
    static void applyOpenAiPenalties(float[] logits, int[] seen, int from, int to, double presence, double frequency) {
        int[] counts = new int[logits.length];
        for (int i = from; i < to; i++) if (seen[i] >= 0 && seen[i] < logits.length) counts[seen[i]]++;
        for (int id = 0; id < logits.length; id++) {
            if (counts[id] > 0) logits[id] -= (float) (counts[id] * frequency + presence);
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Everything below the k-th largest logit becomes -inf (ties with the k-th survive, as HF's `<` test). */
    static void keepTopK(float[] logits, int k) {
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /**
     * HF TopPLogitsWarper: sort ascending, drop tokens while the cumulative probability stays <= 1 - top_p,
     * always keeping the most likely token; survivors are renormalized.
     */
    static void keepNucleus(double[] probs, double topP) {
        Integer[] order = new Integer[probs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(probs[a], probs[b]));
        double cumulative = 0, sum = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - topP) probs[order[r]] = 0;
        }
        for (double p : probs) sum += p;
        for (int i = 0; i < probs.length; i++) probs[i] /= sum;
    }

    /** Inverse-CDF draw with u in [0, 1). */
    static int draw(double[] probs, double u) {
        double c = 0;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] == 0) continue;
            last = i;
            c += probs[i];
            if (u < c) return i;
        }
        return last;
    }
}
