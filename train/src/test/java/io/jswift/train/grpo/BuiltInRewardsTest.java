package io.jswift.train.grpo;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each built-in reward on hand-made completions against ms-swift's formula (swift/rewards/orm.py), values worked out by hand. */
class BuiltInRewardsTest {
    static RewardFunction.Sample sample(String completion, int length, String solution) {
        return new RewardFunction.Sample(List.of(Map.of("role", "user", "content", "q")), completion, new int[length],
                solution == null ? Map.of() : Map.of("solution", solution));
    }

    static double[] score(RewardFunction f, RewardFunction.Sample... s) {
        return f.score(List.of(s));
    }

    @Test
    void formatNeedsThinkThenAnswerAndNothingAfter() {
        RewardFunction f = RegexReward.format();
        assertArrayEquals(new double[]{1, 1, 0, 0, 0, 0}, score(f,
                sample("<think>a\nb</think>\n <answer>42</answer>", 1, null),
                sample("<think></think><answer></answer>", 1, null),
                sample("<think>a</think><answer>42</answer>\n", 1, null),     // (?![\s\S]): not even a newline after
                sample(" <think>a</think><answer>42</answer>", 1, null),      // match from the start
                sample("<think>a</think>x<answer>42</answer>", 1, null),
                sample("<answer>42</answer>", 1, null)));
    }

    @Test
    void reactFormatNeedsActionThenActionInput() {
        RewardFunction f = RegexReward.reactFormat();
        assertArrayEquals(new double[]{1, 1, 0, 0}, score(f,
                sample("<think>t</think>\nAction: search\nAction Input: {\"q\": 1}", 1, null),
                sample("<think>t</think>Action: a Action Input: b\nObservation: more", 1, null),
                sample("<think>t</think>\nAction Input: x\nAction: a", 1, null),
                sample("Action: a\nAction Input: b", 1, null)));
    }

    @Test
    void accuracyReadsAnswerTagsBoxedAnswersAndNumbers() {
        RewardFunction f = new AccuracyReward();
        assertArrayEquals(new double[]{1, 1, 1, 1, 0, 0, 1, 0, 1, 0}, score(f,
                sample("<think>x</think><answer>42</answer>", 1, "42"),
                sample("so the answer is \\boxed{\\frac{1}{2}}", 1, "<answer>0.5</answer>"),
                sample("<answer> 1,000 </answer>", 1, "$1000$"),
                sample("<answer>\\boxed{\\dfrac{3}{4}}</answer>", 1, "\\boxed{3/4}"),
                sample("the answer is 42", 1, "42"),                            // no tag and no \boxed: nothing to read
                sample("<answer>41</answer>", 1, "42"),
                sample("\\boxed{x^2 + 1}", 1, "\\boxed{x^{2}+1}".replace("{2}", "2")),
                sample("<answer>7</answer>", 1, ""),                              // no gold answer: 0
                sample("<answer>50\\%</answer>", 1, "50"),
                sample("<answer>x+1</answer>", 1, "1+x")));                       // symbolic equivalence is not reproduced
        assertThrows(IllegalArgumentException.class, () -> score(f, sample("<answer>1</answer>", 1, null)));
    }

    @Test
    void cosineFollowsTheLengthCurveOfCorrectAndWrongAnswers() {
        CosineReward f = new CosineReward(-0.5, 0.0, 1.0, 0.5, 100, new AccuracyReward());
        double[] r = score(f, sample("<answer>1</answer>", 0, "1"), sample("<answer>1</answer>", 50, "1"), sample("<answer>1</answer>", 100, "1"),
                sample("<answer>2</answer>", 0, "1"), sample("<answer>2</answer>", 50, "1"), sample("<answer>2</answer>", 100, "1"),
                sample("<answer>1</answer>", 25, "1"));
        // correct: 1.0 at length 0, 0.75 halfway, 0.5 at max_len; wrong: -0.5, -0.25, 0.0
        assertArrayEquals(new double[]{1.0, 0.75, 0.5, -0.5, -0.25, 0.0}, java.util.Arrays.copyOf(r, 6), 1e-12);
        assertEquals(0.5 + 0.5 * (1 + Math.cos(Math.PI / 4)) / 2, r[6], 1e-12);
    }

    @Test
    void repetitionPenalizesRepeatedNGrams() {
        RepetitionReward f = new RepetitionReward(3, -1.0);
        // "a b a b a b": 4 trigrams, 2 distinct → (1 - 2/4) × -1 = -0.5; case folded; fewer words than n → 0
        assertArrayEquals(new double[]{-0.5, -0.5, 0, 0, 0}, score(f, sample("a b a b a b", 1, null), sample("A b  a\nB a b", 1, null),
                sample("one two", 1, null), sample("", 1, null), sample("one two three four", 1, null)), 1e-12);
        assertEquals(-2.0 * (1 - 2.0 / 5), new RepetitionReward(2, -2.0).score("x y x y x y"), 1e-12);
    }

    @Test
    void softOverlongCountsEveryIdAndFallsToMinusOneAtTheMaximum() {
        SoftOverlongReward f = new SoftOverlongReward(100, 20);
        assertArrayEquals(new double[]{0, 0, -0.25, -1, -1.5}, score(f, sample("", 10, null), sample("", 80, null), sample("", 85, null),
                sample("", 100, null), sample("", 110, null)), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new SoftOverlongReward(100, 100));
    }

    @Test
    void namesWeightsAndTheWeightedSum() {
        RewardArgs args = new RewardArgs(List.of("format", "repetition", "soft_overlong"), List.of(1.0, 0.5, 2.0), List.of(),
                -0.5, 0, 1, 0.5, null, 3, -1, null, 4);
        RewardFunctions rf = RewardFunctions.load(args, 10, getClass().getClassLoader());
        assertEquals(List.of("format", "repetition", "soft_overlong"), rf.names());
        double[][] per = rf.score(List.of(sample("<think>a</think><answer>b</answer>", 10, null)));
        assertEquals(-1.0, per[2][0], 1e-12); // soft_max_length defaults to max_completion_length 10: (10 - 6) / 4
        assertEquals(1.0 + 0.5 * 0 + 2.0 * -1.0, rf.combine(per)[0], 1e-12);
        assertTrue(Double.isNaN(rf.combine(new double[][]{{Double.NaN}, {Double.NaN}, {Double.NaN}})[0]));
        assertEquals(3.0, rf.combine(new double[][]{{1}, {Double.NaN}, {1}})[0], 1e-12);
        var e = assertThrows(IllegalArgumentException.class, () -> RewardFunctions.load(RewardArgs.of(List.of("acuracy")), 10, null));
        assertTrue(e.getMessage().contains("unknown reward function 'acuracy'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RewardFunctions.load(RewardArgs.of(List.of("soft_overlong")), 10, null));
        assertThrows(IllegalArgumentException.class, () -> new RewardArgs(List.of("format"), List.of(1.0, 2.0), List.of(), 0, 0, 0, 0, null, 3, -1, null, null));
    }
}
