package io.jswift.train.grpo;

import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.train.run.Objective;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DAPO's dynamic sampling as ms-swift's _dynamic_sampling: groups whose rewards all agree are dropped, resamples
 * top the batch up with informative groups (the first batch's worth, in order), and after --max_resample_times
 * unfilled resamples the original batch trains.
 */
class DynamicSamplingTest {
    static final int G = 2;

    /** A batch of groups with the given rewards (G per group); prompt i of batch b is named "b.i". */
    private static GenerationBatch batch(String name, double... rewards) {
        List<GrpoPrompt> prompts = new ArrayList<>();
        List<Rollout> rollouts = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int g = 0; g < rewards.length / G; g++) {
            prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", name + "." + g)), new int[]{g}, Map.of()));
            for (int k = 0; k < G; k++) {
                rollouts.add(new Rollout(g, new int[]{g}, new int[]{g * G + k}, true));
                texts.add(name + "." + g + "." + k);
            }
        }
        return new GenerationBatch(prompts, rollouts, texts, new double[][]{rewards.clone(), rewards.clone()}, rewards);
    }

    /** A resample stream the test does not draw from (select's resample argument stands in for it). */
    private static ResamplePrompts unused() {
        return new ResamplePrompts(List.of(new GrpoPrompt(List.of(Map.of("role", "user", "content", "x")), new int[]{1}, Map.of())), 0);
    }

    private static List<String> names(GenerationBatch b) {
        return b.prompts().stream().map(p -> (String) p.messages().getFirst().get("content")).toList();
    }

    @Test
    void constantGroupsAreReplacedByInformativeOnesFromResamples() {
        GenerationBatch first = batch("a", 1, 1, 0, 1, 2, 2);
        List<GenerationBatch> resamples = List.of(batch("b", 0, 0, 3, 1, 5, 5), batch("c", 1, 2, 4, 4, 0, 9));
        List<Integer> asked = new ArrayList<>();
        GenerationBatch out = new DynamicSampling(3, unused(), w -> { throw new AssertionError(w); })
                .select(first, G, 2, r -> { asked.add(r); return resamples.get(r - 1); });
        assertEquals(List.of(1, 2), asked, "resampled until the batch was full");
        assertEquals(List.of("a.1", "b.1", "c.0"), names(out), "informative groups in order, the first batch's worth (c.2 is left)");
        assertArrayEquals(new double[]{0, 1, 3, 1, 1, 2}, out.total());
        assertArrayEquals(out.total(), out.perFunction()[1]);
        assertEquals(List.of("a.1.0", "a.1.1", "b.1.0", "b.1.1", "c.0.0", "c.0.1"), out.texts());
        for (int i = 0; i < out.rollouts().size(); i++) assertEquals(i / G, out.rollouts().get(i).prompt(), "rollouts index the new prompt list");
        assertArrayEquals(new int[]{G + 1}, out.rollouts().get(3).completionIds());
    }

    @Test
    void aBatchWithoutConstantGroupsIsKeptAsItIs() {
        GenerationBatch first = batch("a", 1, 0, 0, 1);
        assertSame(first, new DynamicSampling(3, unused(), w -> {}).select(first, G, 2, r -> { throw new AssertionError("no resample"); }));
    }

    @Test
    void theOriginalBatchTrainsWhenResamplesDoNotFillIt() {
        GenerationBatch first = batch("a", 1, 1, 0, 1);
        List<String> warnings = new ArrayList<>();
        List<Integer> asked = new ArrayList<>();
        GenerationBatch out = new DynamicSampling(2, unused(), warnings::add).select(first, G, 2, r -> { asked.add(r); return batch("r" + r, 3, 3, 2, 2); });
        assertSame(first, out);
        assertEquals(List.of(1, 2), asked, "--max_resample_times resamples");
        assertEquals(1, warnings.size());
        assertTrue(warnings.getFirst().contains("after 2 resamples"), warnings.getFirst());
        new DynamicSampling(0, unused(), w -> {}).select(first, G, 2, r -> { throw new AssertionError("max_resample_times 0: no resample"); });
    }

    @Test
    void resamplePromptsPassOverTheDatasetReshuffled() {
        List<GrpoPrompt> prompts = new ArrayList<>();
        for (int i = 0; i < 5; i++) prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "p" + i)), new int[]{i}, Map.of()));
        ResamplePrompts draw = new ResamplePrompts(prompts, 1);
        List<GrpoPrompt> pass = new ArrayList<>(draw.apply(3));
        pass.addAll(draw.apply(2));
        assertEquals(5, pass.stream().distinct().count(), "each prompt once per pass");
        assertEquals(7, draw.apply(7).size());
    }

    /**
     * In a GRPO step: prompts whose completions all score 1 (column easy) never train when dynamic sampling is on;
     * the batch is refilled with the others and no group has zero std.
     */
    @Test
    void aGrpoStepTrainsOnlyOnInformativeGroups() throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize(), true)).model();
        RewardFunction easyOrLow = new RewardFunction() {
            @Override public String name() { return "easy_or_low"; }

            @Override public double[] score(List<Sample> completions) {
                double[] low = new GrpoLearningTest.LowIds().score(completions);
                for (int i = 0; i < low.length; i++) if (Boolean.TRUE.equals(completions.get(i).columns().get("easy"))) low[i] = 1;
                return low;
            }
        };
        List<GrpoPrompt> prompts = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            prompts.add(new GrpoPrompt(List.of(Map.of("role", "user", "content", "p" + p)), new int[]{5 + p, 40 + p, 90 + p}, Map.of("easy", p % 2 == 0)));
        }
        List<GrpoObjective.Scored> log = new ArrayList<>();
        GrpoObjective objective = new GrpoObjective(model, new GrpoObjective.Settings(new int[]{127}, ids -> "", new RewardFunctions(List.of(easyOrLow), new double[]{1}),
                new GrpoLoss(GrpoLoss.Type.DAPO, 0, 0.2, 0.28, false, 6), Advantages.Scale.GROUP, 4, new SamplingParams(6, 1.0, 0, 1.0, 1.0, 0, List.of()), 7, false,
                log::add, 1, new DynamicSampling(4, new ResamplePrompts(prompts, 7), w -> {})));
        // the drawn batch: two easy prompts and two others
        List<List<GrpoPrompt>> micro = List.of(List.of(prompts.get(0), prompts.get(1)), List.of(prompts.get(2), prompts.get(3)));
        double normalizer = objective.normalizer(micro, 0);
        assertEquals(16, log.size());
        for (GrpoObjective.Scored s : log) assertEquals(false, s.prompt().columns().get("easy"), "an easy prompt's group (all rewards 1) was dropped");
        Objective.Step step = objective.forward(micro.get(0), normalizer);
        assertEquals(0.0, step.metrics().get("frac_reward_zero_std"));
        objective.forward(micro.get(1), normalizer);
    }
}
