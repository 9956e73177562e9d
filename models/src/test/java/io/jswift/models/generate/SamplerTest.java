package io.jswift.models.generate;

import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    @Test
    void greedyTakesTheFirstMaximum() {
        assertEquals(2, new Sampler(SamplingParams.greedy(1)).next(new float[]{0, 1, 3, 3}, new int[0], 0));
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeOnce() {
        float[] logits = {2, -2, 1};
        Sampler.applyRepetitionPenalty(logits, new int[]{0, 1, 0, 0}, 4, 2f);
        assertArrayEquals(new float[]{1, -4, 1}, logits);
    }

    @Test
    void topKKeepsTiesAtTheBoundary() {
        float[] logits = {5, 1, 3, 3, 0, Float.NEGATIVE_INFINITY};
        // 3 is tied with the 2nd largest: kept as HF's `logits < kth` mask keeps it
        assertArrayEquals(new int[]{0, 2, 3}, Sampler.survivors(logits, 2));
        // without top-k every finite logit survives
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, Sampler.survivors(logits, 0));
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, Sampler.survivors(logits, 6));
    }

    @Test
    void nucleusKeepsTheSmallestPrefixReachingTopP() {
        double[] p = {0.5, 0.3, 0.12, 0.08};
        float[] logits = {4, 3, 2, 1};
        int[] ids = {0, 1, 2, 3};
        Sampler.keepNucleus(p, logits, ids, 0.75);
        // ascending cumulative: 0.08, 0.20 are <= 1 - 0.75 → removed; 0.50 > 0.25 → kept
        assertEquals(0, p[3]);
        assertEquals(0, p[2]);
        assertEquals(0.5 / 0.8, p[0], 1e-12);
        assertEquals(0.3 / 0.8, p[1], 1e-12);
        double[] one = {0.9, 0.1};
        Sampler.keepNucleus(one, new float[]{1, 0}, new int[]{0, 1}, 0.05);
        assertEquals(1.0, one[0], 1e-12); // the most likely token always survives
        double[] tied = {0.25, 0.25, 0.25, 0.25};
        Sampler.keepNucleus(tied, new float[]{1, 1, 1, 1}, new int[]{0, 1, 2, 3}, 0.5);
        // equal probabilities go in id order (a stable sort): the two lowest ids are dropped first
        assertArrayEquals(new double[]{0, 0, 0.5, 0.5}, tied, 1e-12);
    }

    /**
     * The sampler against HF's warpers as written — a full sort of the vocabulary for top-k, softmax over all of it,
     * a stable sort of every id for top-p, the inverse-CDF walk over all ids — on rows full of ties, -inf, signed
     * zeros and extreme values: the same token for the same seed, draw after draw.
     */
    @Test
    void equalsTheFullVocabularyProcedureDrawForDraw() {
        Random r = new Random(7);
        int cases = 0;
        for (int vocab : new int[]{1, 2, 5, 50, 300, 4000}) {
            for (int topK : new int[]{0, 1, 3, 50, vocab - 1, vocab, vocab + 3}) {
                for (double topP : new double[]{1.0, 0.95, 0.9, 0.5, 0.05}) {
                    for (double temperature : new double[]{0.7, 1.0, 1.3}) {
                        float[] row = randomRow(r, vocab);
                        SamplingParams params = new SamplingParams(1, temperature, topK, topP, 1.0, r.nextLong(), List.of());
                        Sampler fast = new Sampler(params);
                        Generator oracleRng = new Generator(params.seed());
                        for (int draw = 0; draw < 12; draw++) {
                            int expected = fullVocabulary(row.clone(), params, oracleRng.nextDouble());
                            assertEquals(expected, fast.next(row.clone(), new int[0], 0),
                                    "vocab " + vocab + " top_k " + topK + " top_p " + topP + " T " + temperature + " draw " + draw);
                        }
                        cases++;
                    }
                }
            }
        }
        assertTrue(cases > 500);
    }

    /** Logits on a coarse grid (many ties), with -inf, -0.0 / 0.0, and a few outliers whose exp underflows. */
    private static float[] randomRow(Random r, int vocab) {
        float[] row = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            double u = r.nextDouble();
            row[i] = u < 0.05 ? Float.NEGATIVE_INFINITY : u < 0.08 ? -0.0f : u < 0.11 ? 0.0f : u < 0.13 ? -800f
                    : (float) (Math.round(r.nextGaussian() * 8) / 4.0);
        }
        return row;
    }

    /** HF's TemperatureLogitsWarper, TopKLogitsWarper, softmax, TopPLogitsWarper and multinomial, over every id. */
    private static int fullVocabulary(float[] logits, SamplingParams params, double u) {
        float invT = (float) (1 / params.temperature());
        for (int i = 0; i < logits.length; i++) logits[i] *= invT;
        int k = params.topK();
        if (k > 0 && k < logits.length) {
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            float kth = sorted[sorted.length - k];
            for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = logits[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        if (params.topP() < 1) {
            Integer[] order = new Integer[p.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b])); // stable
            double cumulative = 0, kept = 0;
            for (int j = 0; j < order.length - 1; j++) {
                cumulative += p[order[j]];
                if (cumulative <= 1 - params.topP()) p[order[j]] = 0;
            }
            for (double x : p) kept += x;
            for (int i = 0; i < p.length; i++) p[i] /= kept;
        }
        double c = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            last = i;
            c += p[i];
            if (u < c) return i;
        }
        return last;
    }

    @Test
    void seededSamplingIsReproducibleAndFollowsTheDistribution() {
        SamplingParams p = new SamplingParams(1, 1.0, 0, 1.0, 1.0, 42, List.of());
        float[] logits = {(float) Math.log(0.7), (float) Math.log(0.2), (float) Math.log(0.1)};
        Sampler a = new Sampler(p), b = new Sampler(p);
        int[] counts = new int[3];
        for (int i = 0; i < 4000; i++) {
            int x = a.next(logits.clone(), new int[0], 0);
            assertEquals(x, b.next(logits.clone(), new int[0], 0));
            counts[x]++;
        }
        assertEquals(0.7, counts[0] / 4000.0, 0.03);
        assertEquals(0.2, counts[1] / 4000.0, 0.03);
        Sampler other = new Sampler(new SamplingParams(1, 1.0, 0, 1.0, 1.0, 43, List.of()));
        int differences = 0;
        Sampler c = new Sampler(p);
        for (int i = 0; i < 200; i++) if (c.next(logits.clone(), new int[0], 0) != other.next(logits.clone(), new int[0], 0)) differences++;
        assertNotEquals(0, differences);
    }

    @Test
    void lowTemperatureConcentratesMass() {
        Sampler s = new Sampler(new SamplingParams(1, 0.05, 0, 1.0, 1.0, 1, List.of()));
        int top = 0;
        for (int i = 0; i < 200; i++) if (s.next(new float[]{1.0f, 0.8f, 0.2f}, new int[0], 0) == 0) top++;
        assertTrue(top > 190, "argmax share at T=0.05: " + top);
    }

    @Test
    void invalidParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -1, 0, 1, 1, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 1, 0, 0, 1, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 1, 0, 1, 0, 0, List.of()));
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        float[] logits = {2.0f, 2.0f, 2.0f, 2.0f};
        int[] seen = {0, 0, 1, 1, 1, 2}; // prompt [0, 0], generated [1, 1, 1, 2]
        Sampler.applyOpenAiPenalties(logits, seen, 2, seen.length, 0.5, 0.25);
        assertArrayEquals(new float[]{2.0f, 2.0f - 0.75f - 0.5f, 2.0f - 0.25f - 0.5f, 2.0f}, logits, 1e-6f);
        // greedy picks the untouched token once the penalties push the favourite down
        Sampler s = new Sampler(SamplingParams.greedy(1).withPresencePenalty(2).withFrequencyPenalty(0));
        assertEquals(1, s.next(new float[]{0f, 1.5f, 1.0f}, new int[]{1}, 1, 1)); // id 1 in the prompt only: no penalty
        assertEquals(2, s.next(new float[]{0f, 1.5f, 1.0f}, new int[]{1}, 0, 1)); // id 1 generated: 1.5 - 2 < 1.0
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.greedy(1).withPresencePenalty(2.5));
    }
}
