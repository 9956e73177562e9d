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

    /** {@code logits} may be modified in place; {@code seen} are the prompt and generated ids so far (for the penalty). */
    public int next(float[] logits, int[] seen, int seenLength) {
        return next(logits, seen, seenLength, seenLength);
    }

    /**
     * As {@link #next(float[], int[], int)}, where {@code seen[promptLength, seenLength)} are the generated ids: the
     * presence and frequency penalties count those only (vLLM's output_token_ids), the repetition penalty all.
     *
     * <p>Only the ids that survive top-k (every finite logit without it) are carried past the temperature: the
     * softmax, the nucleus and the draw run over them in id order, which gives the same probabilities, the same
     * survivors and the same token as the same steps over the whole vocabulary (the other ids' probabilities are 0,
     * and adding or walking past a 0 changes no sum), with one draw of the generator per token as before.
     */
    public int next(float[] logits, int[] seen, int promptLength, int seenLength) {
        if (params.repetitionPenalty() != 1) applyRepetitionPenalty(logits, seen, seenLength, (float) params.repetitionPenalty());
        if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
            applyOpenAiPenalties(logits, seen, promptLength, seenLength, params.presencePenalty(), params.frequencyPenalty());
        }
        if (params.isGreedy()) return argmax(logits);
        float invT = (float) (1 / params.temperature());
        for (int i = 0; i < logits.length; i++) logits[i] *= invT;
        int[] ids = survivors(logits, params.topK());
        double u = rng.nextDouble();
        if (ids.length == 0) return logits.length - 1; // every logit -inf: where the walk over the 0/0 probabilities ended
        double[] probs = softmax(logits, ids);
        if (params.topP() < 1) keepNucleus(probs, logits, ids, params.topP());
        return ids[draw(probs, u)];
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

    /**
     * The ids, ascending, whose logit is not -inf and, when {@code 0 < k < V}, not below the k-th largest (HF's
     * TopKLogitsWarper masks {@code logits < kth}: ties with the k-th survive).
     */
    static int[] survivors(float[] logits, int k) {
        boolean filter = k > 0 && k < logits.length;
        float kth = filter ? TopLogits.kthLargest(logits, k) : Float.NEGATIVE_INFINITY;
        int[] ids = new int[filter ? k : logits.length];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            float l = logits[i];
            if (l < kth || l == Float.NEGATIVE_INFINITY) continue;
            if (n == ids.length) ids = Arrays.copyOf(ids, ids.length * 2); // ties with the k-th value
            ids[n++] = i;
        }
        return n == ids.length ? ids : Arrays.copyOf(ids, n);
    }

    /** Softmax in double of {@code logits} over {@code ids} (ascending), summed in id order. */
    static double[] softmax(float[] logits, int[] ids) {
        double max = Double.NEGATIVE_INFINITY;
        for (int id : ids) max = Math.max(max, logits[id]);
        double[] p = new double[ids.length];
        double sum = 0;
        for (int j = 0; j < ids.length; j++) {
            p[j] = Math.exp(logits[ids[j]] - max);
            sum += p[j];
        }
        for (int j = 0; j < p.length; j++) p[j] /= sum;
        return p;
    }

    /**
     * HF TopPLogitsWarper over the survivors {@code ids} (ascending) and their probabilities: sort ascending (a
     * stable sort: equal probabilities the lower id first), drop tokens while the cumulative probability stays
     * {@code <= 1 - top_p}, always keeping the most likely token; survivors are renormalized (summed in id order).
     */
    static void keepNucleus(double[] probs, float[] logits, int[] ids, double topP) {
        int[] order = ascending(probs, logits, ids);
        double cumulative = 0, sum = 0;
        for (int r = 0; r < order.length - 1; r++) {
            cumulative += probs[order[r]];
            if (cumulative <= 1 - topP) probs[order[r]] = 0;
        }
        for (double p : probs) sum += p;
        for (int j = 0; j < probs.length; j++) probs[j] /= sum;
    }

    /**
     * Positions into {@code probs} by ascending probability, equal ones in position (= id) order. The
     * probabilities do not decrease with the logit (exp and the division by the sum are monotone), so one sort of
     * (logit, position) keys orders them; only distinct logits that rounded to one probability need re-ordering.
     */
    private static int[] ascending(double[] probs, float[] logits, int[] ids) {
        long[] keys = new long[ids.length];
        for (int j = 0; j < ids.length; j++) keys[j] = ((long) TopLogits.key(logits[ids[j]]) << 32) | j;
        Arrays.sort(keys);
        int[] order = new int[ids.length];
        for (int r = 0; r < order.length; r++) order[r] = (int) keys[r];
        for (int a = 0, b; a < order.length; a = b) {
            b = a + 1;
            while (b < order.length && Double.compare(probs[order[b]], probs[order[a]]) == 0) b++;
            if (b - a > 1) Arrays.sort(order, a, b);
        }
        return order;
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
