package io.jswift.models.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

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
        float[] logits = {5, 1, 3, 3, 0};
        Sampler.keepTopK(logits, 2);
        assertEquals(Float.NEGATIVE_INFINITY, logits[1]);
        assertEquals(Float.NEGATIVE_INFINITY, logits[4]);
        assertEquals(3f, logits[2]);
        assertEquals(3f, logits[3]); // tied with the 2nd largest, kept as HF does
    }

    @Test
    void nucleusKeepsTheSmallestPrefixReachingTopP() {
        double[] p = {0.5, 0.3, 0.12, 0.08};
        Sampler.keepNucleus(p, 0.75);
        // ascending cumulative: 0.08, 0.20 are <= 1 - 0.75 → removed; 0.50 > 0.25 → kept
        assertEquals(0, p[3]);
        assertEquals(0, p[2]);
        assertEquals(0.5 / 0.8, p[0], 1e-12);
        assertEquals(0.3 / 0.8, p[1], 1e-12);
        double[] one = {0.9, 0.1};
        Sampler.keepNucleus(one, 0.05);
        assertEquals(1.0, one[0], 1e-12); // the most likely token always survives
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
