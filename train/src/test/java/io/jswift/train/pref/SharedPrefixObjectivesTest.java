package io.jswift.train.pref;

import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Generator;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import io.jswift.train.testing.GradAssert;

import static io.jswift.train.pref.SharedPrefixRowsTest.seq;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CPO / SimPO and ORPO on one shared-prefix row per pair give the loss, every metric and every gradient of TRL's
 * two-row batch with its padding masked as transformers does (which the TRL goldens check): the NLL term over the
 * chosen completions (cpo_alpha), SimPO's length normalization, ORPO's log-odds and its NLL over the whole chosen
 * sequence, and the mean logits over the padded batch (padding positions included) — on pairs of different lengths,
 * replies with common leading tokens and a reply that is a prefix of the other.
 */
class SharedPrefixObjectivesTest {
    static final List<PreferencePair> PAIRS = List.of(
            new PreferencePair(seq(new int[]{3, 17, 42, 8, 99, 5, 23, 61, 70}, new int[]{11, 12, 13, 14}), seq(new int[]{3, 17, 42, 8, 99, 5, 23, 61, 70}, new int[]{21, 22})),
            new PreferencePair(seq(new int[]{7, 11}, new int[]{31, 4, 6, 9, 2, 44, 45}), seq(new int[]{7, 11}, new int[]{31, 4, 50})),
            new PreferencePair(seq(new int[]{9, 8, 7, 6}, new int[]{1, 2}), seq(new int[]{9, 8, 7, 6}, new int[]{1, 2, 3})));

    @Test
    void paddingPositionsFollowBothTailsInTheirSequencesSegment() {
        // prompt 5 6 7, chosen 8 9, rejected 4: padded width 6, CPO keeps all 6 positions of each sequence
        PreferencePair pair = new PreferencePair(seq(new int[]{5, 6, 7}, new int[]{8, 9}), seq(new int[]{5, 6, 7}, new int[]{4}));
        PreferencePair longer = new PreferencePair(seq(new int[]{1, 2}, new int[]{3, 4, 5, 6}), seq(new int[]{1, 2}, new int[]{3, 4, 5, 7}));
        ScoredTokens s = SharedPrefixRows.collate(List.of(pair, longer), PairTargets.CPO);
        assertEquals(9, s.width()); // pair: 3 prefix + 2 chosen + 1 rejected + 1 chosen pad + 2 rejected pads
        assertArrayEquals(new long[]{5, 6, 7, 8, 9, 4, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0},
                s.input().inputIds().toLongArray());
        assertArrayEquals(new long[]{0, 1, 2, 3, 4, 3, 5, 4, 5, 0, 1, 2, 3, 4, 5, 5, 0, 1}, s.input().positionIds().toLongArray());
        // padding positions in their sequence's padding segment (-1 - 1, -1 - 2), the row's padding in segment 3
        assertArrayEquals(new long[]{0, 0, 0, 1, 1, 2, -2, -3, -3, 0, 0, 0, 0, 0, 1, 2, 3, 3}, s.input().segmentIds().toLongArray());
        ScoredTokens.Positions p = s.positions();
        assertEquals(4, p.sequences());
        assertEquals(6, p.kept());
        assertArrayEquals(new long[]{0, 1, 2, 3, 4, 6, 9, 10, 11, 12, 13, 14, 0, 1, 2, 5, 7, 8, 9, 10, 11, 12, 13, 15}, p.rows());
        // the two-row layout maps position j of sequence s to s·T + j
        ScoredTokens two = PairTargets.CPO.twoRows(List.of(pair, longer), true);
        assertEquals(6, two.width());
        for (int i = 0; i < 24; i++) assertEquals(i, two.positions().rows()[i]);
        // with its padding masked: real tokens in segment 1, each row's padding in -1 - 1, positions 0..T-1
        assertArrayEquals(new long[]{1, 1, 1, 1, 1, -2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -2, -2, 1, 1, 1, 1, 1, 1},
                two.input().segmentIds().toLongArray());
        assertTrue(two.input().sharedPrefix());
        assertEquals(null, PairTargets.CPO.twoRows(List.of(pair, longer), false).input().segmentIds());
        // ORPO keeps T - 1 positions and scores each chosen prompt as sequences 2B + i
        ScoredTokens orpo = SharedPrefixRows.collate(List.of(pair, longer), PairTargets.ORPO);
        assertEquals(5, orpo.positions().kept());
        assertEquals(6, orpo.sequences());
        assertArrayEquals(new long[]{2, 4, 1, 4, 2, 1}, orpo.counts());
        assertArrayEquals(s.targets(), Arrays.copyOf(orpo.targets(), s.count()));
    }

    @ParameterizedTest
    @CsvSource({"sigmoid, 0.1, 0.0, 0.5, 1.0", "sigmoid, 0.2, 0.1, 0.5, 0.0", "hinge, 0.5, 0.0, 0.5, 0.5", "ipo, 0.3, 0.0, 0.5, 1.0",
            "simpo, 2.0, 0.0, 1.0, 1.0", "simpo, 2.0, 0.1, 0.8, 0.0"})
    void cpoAndSimpoOnSharedRowsEqualTheTwoRowStep(String type, double beta, double smoothing, double gamma, double alpha) throws Exception {
        CausalLm policy = policy();
        CpoObjective objective = new CpoObjective(policy, new CpoLoss(CpoLoss.Type.parse(type), beta, smoothing, gamma, alpha), false);
        assertSameStep(policy, layout -> objective.step(layout, 1.0), PairTargets.CPO);
    }

    @Test
    void orpoOnSharedRowsEqualsTheTwoRowStep() throws Exception {
        CausalLm policy = policy();
        OrpoObjective objective = new OrpoObjective(policy, new OrpoLoss(0.25), false);
        assertSameStep(policy, layout -> objective.step(layout, 1.0), PairTargets.ORPO);
    }

    @Test
    void theObjectivesTakeTheSharedRowsWhenTheModelAllowsThem() throws Exception {
        CausalLm policy = policy();
        assertTrue(policy.sharesPrefixes());
        ScoredTokens cpo = new CpoObjective(policy, new CpoLoss(CpoLoss.Type.SIMPO, 2.0, 0, 1.0, 1.0), false).collate(PAIRS);
        assertTrue(cpo.input().sharedPrefix());
        assertEquals(PAIRS.size(), cpo.rows());
        assertEquals(2 * PAIRS.size(), cpo.positions().sequences());
        ScoredTokens orpo = new OrpoObjective(policy, new OrpoLoss(0.25), false).collate(PAIRS);
        assertTrue(orpo.input().sharedPrefix());
        assertEquals(PAIRS.size(), orpo.rows());
        assertEquals(3 * PAIRS.size(), orpo.sequences());
    }

    private static CausalLm policy() throws Exception {
        CausalLm policy = DpoGoldenTest.load(DpoGoldenTest.BASE, false);
        PeftAdapter.load(DpoGoldenTest.FIXTURES.resolve("lora_sigmoid/adapter"), policy, new Generator(1));
        policy.train(true);
        return policy;
    }

    private static void assertSameStep(CausalLm policy, Function<ScoredTokens, Objective.Step> step, PairTargets targets) {
        Result two = run(policy, step, targets.twoRows(PAIRS, true));
        Result shared = run(policy, step, SharedPrefixRows.collate(PAIRS, targets));
        assertEquals(two.loss, shared.loss, 2e-5 * Math.max(1, Math.abs(two.loss)), "loss");
        assertEquals(two.tokens, shared.tokens);
        assertEquals(two.metrics.keySet(), shared.metrics.keySet());
        for (var e : two.metrics.entrySet()) {
            assertEquals(e.getValue(), shared.metrics.get(e.getKey()), 2e-5 * Math.max(1, Math.abs(e.getValue())), e.getKey());
        }
        assertEquals(two.grads.keySet(), shared.grads.keySet());
        for (var e : two.grads.entrySet()) GradAssert.assertClose(e.getValue(), shared.grads.get(e.getKey()), e.getKey());
    }

    private record Result(double loss, long tokens, Map<String, Double> metrics, Map<String, float[]> grads) {}

    private static Result run(CausalLm policy, Function<ScoredTokens, Objective.Step> step, ScoredTokens layout) {
        for (Parameter p : policy.trainableParameters()) p.zeroGrad();
        Objective.Step s = step.apply(layout);
        s.loss().backward();
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (var e : policy.namedParameters().entrySet()) {
            if (e.getValue().requiresGrad()) grads.put(e.getKey(), e.getValue().grad().toFloatArray());
        }
        return new Result(s.loss().value().item(), s.tokens(), s.metrics(), grads);
    }
}
