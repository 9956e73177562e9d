package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.train.pref.CompletionLogProbs;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RolloutsTest {
    static final Path BASE = Path.of("../models/src/test/resources/models/qwen2-f32").toAbsolutePath().normalize();
    static final List<int[]> PROMPTS = List.of(new int[]{3, 17, 42, 5}, new int[]{9, 8});
    static final SamplingParams PARAMS = new SamplingParams(6, 0.9, 50, 0.95, 1.1, 0, List.of());

    static CausalLm model() throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(BASE, true)).model();
    }

    @Test
    void groupsAreReproducibleAndEachRowIsItsOwnSeededStream() throws Exception {
        CausalLm model = model();
        model.train(true);
        int[] eos = {1};
        List<Rollout> a = Rollouts.sample(model, eos, PROMPTS, 4, PARAMS, 7);
        List<Rollout> b = Rollouts.sample(model, eos, PROMPTS, 4, PARAMS, 7);
        assertEquals(8, a.size());
        for (int r = 0; r < 8; r++) {
            assertEquals(r / 4, a.get(r).prompt());
            assertArrayEquals(PROMPTS.get(r / 4), a.get(r).promptIds());
            assertArrayEquals(a.get(r).completionIds(), b.get(r).completionIds());
            // the batched, padded rollout equals the row sampled alone with its own seed (7 + r)
            Rollout alone = Rollouts.sample(model, eos, List.of(PROMPTS.get(r / 4)), 1, PARAMS, 7 + r).getFirst();
            assertArrayEquals(alone.completionIds(), a.get(r).completionIds(), "row " + r);
        }
        // temperature 0.9 on a random model: the 4 completions of a group are not all the same
        assertTrue(IntStream.range(1, 4).anyMatch(r -> !Arrays.equals(a.getFirst().completionIds(), a.get(r).completionIds())));
        List<Rollout> other = Rollouts.sample(model, eos, PROMPTS, 4, PARAMS, 8);
        assertNotEquals(Arrays.deepToString(a.stream().map(Rollout::completionIds).toArray()),
                Arrays.deepToString(other.stream().map(Rollout::completionIds).toArray()));
        assertTrue(model.isTraining(), "the policy goes back to training mode");
    }

    @Test
    void theEosThatEndsACompletionIsKept() throws Exception {
        CausalLm model = model();
        int vocab = model.config().vocabSize();
        int[] eos = IntStream.range(0, vocab).filter(i -> i % 3 == 0).toArray(); // a third of the vocabulary ends a completion
        List<Rollout> rollouts = Rollouts.sample(model, eos, PROMPTS, 8, PARAMS, 1);
        int ended = 0;
        for (Rollout r : rollouts) {
            int[] c = r.completionIds();
            for (int i = 0; i < c.length - 1; i++) assertNotEquals(0, c[i] % 3, "no eos before the end");
            if (r.endedByEos()) {
                ended++;
                assertEquals(0, c[c.length - 1] % 3);
                assertTrue(c.length <= 6);
            } else {
                assertEquals(6, c.length);
                assertNotEquals(0, c[5] % 3);
            }
        }
        assertTrue(ended > 0 && ended < 16, ended + " of 16 ended by eos");
        assertFalse(rollouts.isEmpty());
    }

    /**
     * Rows that end early leave the decode batch (TextGenerator drops finished rows): with a third of the vocabulary
     * as eos the rows end at different steps, and every rollout, its eos included, is still the one its row samples
     * alone with its own seed; so are its per-token log-probs at the sampling temperature.
     */
    @Test
    void rowsEndingEarlyLeaveTheOthersUnchanged() throws Exception {
        CausalLm model = model();
        int[] eos = IntStream.range(0, model.config().vocabSize()).filter(i -> i % 3 == 0).toArray();
        SamplingParams params = PARAMS.withMaxNewTokens(10);
        List<Rollout> batch = Rollouts.sample(model, eos, PROMPTS, 6, params, 11);
        int[] lengths = batch.stream().mapToInt(r -> r.completionIds().length).distinct().toArray();
        assertTrue(lengths.length >= 3, "rows end at different steps: " + Arrays.toString(lengths));
        for (int r = 0; r < batch.size(); r++) {
            Rollout alone = Rollouts.sample(model, eos, List.of(PROMPTS.get(r / 6)), 1, params, 11 + r).getFirst();
            assertArrayEquals(alone.completionIds(), batch.get(r).completionIds(), "row " + r);
            assertEquals(alone.endedByEos(), batch.get(r).endedByEos(), "row " + r);
        }
        try (var ignored = GradMode.noGrad()) {
            double[] batched = CompletionLogProbs.perToken(model, GrpoObjective.unshared(batch), false, 0.9).value().toDoubleArray();
            for (int r = 0, at = 0; r < batch.size(); r++) {
                Rollout alone = Rollouts.sample(model, eos, List.of(PROMPTS.get(r / 6)), 1, params, 11 + r).getFirst();
                double[] own = CompletionLogProbs.perToken(model, GrpoObjective.unshared(List.of(alone)), false, 0.9).value().toDoubleArray();
                for (int j = 0; j < own.length; j++, at++) assertEquals(own[j], batched[at], 1e-5, "row " + r + " token " + j);
            }
        }
    }

    @Test
    void badCountsAreRefused() throws Exception {
        CausalLm model = model();
        assertThrows(IllegalArgumentException.class, () -> Rollouts.sample(model, new int[]{1}, PROMPTS, 0, PARAMS, 0));
        assertThrows(IllegalArgumentException.class, () -> Rollouts.sample(model, new int[]{1}, PROMPTS, 2, PARAMS.withMaxNewTokens(0), 0));
    }
}
