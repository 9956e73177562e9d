package io.jswift.train.pref;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.train.encode.Encoded;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.jswift.train.testing.GradAssert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedPrefixRows}: the packed layout of a pair, and the same completion log-probs, token statistics and
 * gradients as TRL's two-row batch (the TRL goldens of {@link DpoGoldenTest} run the shared rows too) — with pairs
 * of different lengths (padding), replies with common leading tokens (the shared prefix reaches into them) and a
 * reply that is a prefix of the other.
 */
class SharedPrefixRowsTest {
    @Test
    void aPairIsOneRowWithThePrefixOnceAndTheRejectedTailPositionedAfterIt() {
        // prompt 5 6 7, chosen 8 9, rejected 8 4 3: the common prefix is 5 6 7 8
        PreferencePair pair = new PreferencePair(seq(new int[]{5, 6, 7}, new int[]{8, 9}), seq(new int[]{5, 6, 7}, new int[]{8, 4, 3}));
        PreferencePair shortPair = new PreferencePair(seq(new int[]{1}, new int[]{2}), seq(new int[]{1}, new int[]{3}));
        ScoredTokens s = SharedPrefixRows.collate(List.of(pair, shortPair));
        assertEquals(2, s.rows());
        assertEquals(7, s.width()); // 4 shared + 1 chosen + 2 rejected
        assertArrayEquals(new long[]{5, 6, 7, 8, 9, 4, 3, 1, 2, 3, 0, 0, 0, 0}, s.input().inputIds().toLongArray());
        assertArrayEquals(new long[]{0, 1, 2, 3, 4, 4, 5, 0, 1, 1, 0, 1, 2, 3}, s.input().positionIds().toLongArray());
        assertArrayEquals(new long[]{0, 0, 0, 0, 1, 2, 2, 0, 1, 2, 3, 3, 3, 3}, s.input().segmentIds().toLongArray());
        assertTrue(s.input().sharedPrefix());
        // chosen 0 (8 from 7, 9 from 8), chosen 1 (2 from 1), rejected 0 (8 from 7, 4 from 8, 3 from 4), rejected 1 (3 from 1)
        assertArrayEquals(new long[]{8, 9, 2, 8, 4, 3, 3}, s.targets());
        assertArrayEquals(new long[]{2, 3, 7, 2, 3, 5, 7}, s.hiddenRows());
        assertArrayEquals(new int[]{0, 0, 1, 2, 2, 2, 3}, s.sequenceOf());
        assertArrayEquals(new long[]{2, 1, 3, 1}, s.counts());
        assertEquals(pair.tokens() + shortPair.tokens(), s.tokens());
    }

    @Test
    void sharedRowsGiveTheLogProbsStatsAndGradientsOfTheTwoRowBatch() throws Exception {
        CausalLm policy = DpoGoldenTest.load(DpoGoldenTest.BASE, false);
        assertTrue(policy.sharesPrefixes());
        PeftAdapter.load(DpoGoldenTest.FIXTURES.resolve("lora_sigmoid/adapter"), policy, new Generator(1));
        policy.train(true);
        List<PreferencePair> pairs = List.of(
                new PreferencePair(seq(new int[]{3, 17, 42, 8, 99, 5, 23, 61, 70}, new int[]{11, 12, 13, 14}), seq(new int[]{3, 17, 42, 8, 99, 5, 23, 61, 70}, new int[]{21, 22})),
                new PreferencePair(seq(new int[]{7, 11}, new int[]{31, 4, 6, 9, 2, 44, 45}), seq(new int[]{7, 11}, new int[]{31, 4, 50})),
                new PreferencePair(seq(new int[]{9, 8, 7, 6}, new int[]{1, 2}), seq(new int[]{9, 8, 7, 6}, new int[]{1, 2, 3})));
        Run twoRows = run(policy, ScoredTokens.of(PreferencePair.collate(pairs)));
        Run shared = run(policy, SharedPrefixRows.collate(pairs));
        assertArrayEquals(twoRows.counts, shared.counts);
        assertArrayEquals(twoRows.tokenRow, shared.tokenRow);
        for (int i = 0; i < twoRows.sums.length; i++) assertEquals(twoRows.sums[i], shared.sums[i], 2e-5 * Math.max(1, Math.abs(twoRows.sums[i])), "sum " + i);
        for (int k = 0; k < twoRows.stats.length; k++) assertEquals(twoRows.stats[k], shared.stats[k], 2e-4 * Math.max(1, Math.abs(twoRows.stats[k])), "stat " + k);
        assertEquals(twoRows.grads.keySet(), shared.grads.keySet());
        for (var e : twoRows.grads.entrySet()) GradAssert.assertClose(e.getValue(), shared.grads.get(e.getKey()), e.getKey());
    }

    private record Run(double[] sums, long[] counts, int[] tokenRow, double[] stats, Map<String, float[]> grads) {}

    /** Sums, entropy / mean logit / argmax hit per token, and the gradients of Σ_s (s + 1)·sums[s]. */
    private static Run run(CausalLm policy, ScoredTokens batch) {
        for (Parameter p : policy.trainableParameters()) p.zeroGrad();
        CompletionLogProbs lp = CompletionLogProbs.of(policy, batch, false, true);
        int s = lp.sequences();
        float[] w = new float[s];
        for (int i = 0; i < s; i++) w[i] = i + 1;
        Variable weighted = LinearAlgebra.matmul(Views.reshape(lp.sums(), 1, s), Variable.constant(Tensor.of(w, s, 1)), false, false);
        Elementwise.scale(weighted, 1.0).backward();
        int n = lp.tokenRow().length;
        double[] stats = new double[3 * n];
        for (int k = 0; k < n; k++) {
            stats[3 * k] = lp.stats().entropy(k);
            stats[3 * k + 1] = lp.stats().meanLogit(k);
            stats[3 * k + 2] = lp.stats().argmaxHit(k) ? 1 : 0;
        }
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (var e : policy.namedParameters().entrySet()) {
            if (e.getValue().requiresGrad()) grads.put(e.getKey(), e.getValue().grad().toFloatArray());
        }
        return new Run(lp.sums().value().toDoubleArray(), lp.counts(), lp.tokenRow(), stats, grads);
    }

    static Encoded seq(int[] prompt, int[] completion) {
        int n = prompt.length + completion.length;
        int[] ids = new int[n], labels = new int[n];
        for (int i = 0; i < prompt.length; i++) {
            ids[i] = prompt[i];
            labels[i] = Encoded.IGNORE;
        }
        for (int i = 0; i < completion.length; i++) ids[prompt.length + i] = labels[prompt.length + i] = completion[i];
        return new Encoded(ids, labels);
    }
}
