package io.jswift.models.generate;

import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation on a tiny Qwen3 checkpoint: batching with left padding changes nothing, sampling is seeded. */
class TextGeneratorTest {
    private static CausalLm model() throws Exception {
        Path dir = Path.of(TextGeneratorTest.class.getResource("/models/qwen3-f32/config.json").toURI()).getParent();
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

    /** Greedy continuation computed the slow way: a full forward over the whole sequence for every token. */
    private static int[] naiveGreedy(CausalLm m, int[] prompt, int n) {
        List<Integer> seq = new ArrayList<>();
        for (int p : prompt) seq.add(p);
        int[] out = new int[n];
        try (var s = io.jswift.autograd.GradMode.noGrad()) {
            for (int i = 0; i < n; i++) {
                long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                var logits = m.forward(io.jswift.models.decoder.DecoderInput.of(io.jswift.tensor.Tensor.ofLongs(ids, 1, ids.length))).value();
                float[] last = logits.select(0, 0).select(0, ids.length - 1).toFloatArray();
                out[i] = Sampler.argmax(last);
                seq.add(out[i]);
            }
        }
        return out;
    }

    @Test
    void batchedGreedyWithLeftPaddingEqualsOneByOneFullForwards() throws Exception {
        CausalLm m = model();
        List<int[]> prompts = List.of(new int[]{5, 17, 99, 3, 42, 8, 77}, new int[]{11, 12}, new int[]{120, 4, 66, 9});
        TextGenerator gen = new TextGenerator(m, new int[0], null);
        List<int[]> streamed = new ArrayList<>(List.of(new int[0], new int[0], new int[0]));
        List<TextGenerator.Result> batch = gen.generate(prompts, SamplingParams.greedy(6), (row, token) -> {
            int[] old = streamed.get(row);
            int[] next = java.util.Arrays.copyOf(old, old.length + 1);
            next[old.length] = token;
            streamed.set(row, next);
        });
        for (int r = 0; r < prompts.size(); r++) {
            int[] expected = naiveGreedy(m, prompts.get(r), 6);
            assertArrayEquals(expected, batch.get(r).tokens(), "row " + r);
            assertArrayEquals(expected, streamed.get(r), "streamed row " + r);
            assertEquals(TextGenerator.FinishReason.LENGTH, batch.get(r).reason());
        }
    }

    @Test
    void eosStopsARowAndSeededSamplingRepeats() throws Exception {
        CausalLm m = model();
        int[] prompt = {5, 17, 99};
        int first = naiveGreedy(m, prompt, 1)[0];
        TextGenerator.Result stopped = new TextGenerator(m, new int[]{first}, null).generate(List.of(prompt), SamplingParams.greedy(5), null).get(0);
        assertEquals(0, stopped.tokens().length);
        assertEquals(TextGenerator.FinishReason.EOS, stopped.reason());
        SamplingParams p = new SamplingParams(8, 0.9, 20, 0.95, 1.1, 1234, List.of());
        TextGenerator gen = new TextGenerator(m, new int[0], null);
        assertArrayEquals(gen.generate(List.of(prompt), p, null).get(0).tokens(), gen.generate(List.of(prompt), p, null).get(0).tokens());
        assertThrows(IllegalArgumentException.class, () -> gen.generate(List.of(new int[]{500}), p, null));
        assertThrows(IllegalArgumentException.class, () -> gen.generate(List.of(prompt), new SamplingParams(2, 0, 0, 1, 1, 0, List.of("x")), null));
    }

    /**
     * Rows repeating a prompt (GRPO's completions of one prompt) share its prefill: each row's cache is a copy of its
     * prompt's, and every row samples exactly what it samples alone with its own seed; greedy rows equal full forwards.
     */
    @Test
    void repeatedPromptsArePrefilledOnceAndEachRowDecodesAsAlone() throws Exception {
        CausalLm m = model();
        assertTrue(m.newCache(2, 4).copiesRows(), "a dense cache of keys and values copies rows");
        int[] a = {5, 17, 99, 3, 42}, b = {11, 12};
        List<int[]> prompts = List.of(a, b, a, a, b);
        TextGenerator gen = new TextGenerator(m, new int[0], null);
        SamplingParams p = new SamplingParams(6, 0.9, 20, 0.95, 1.0, 77, List.of());
        List<TextGenerator.Result> batch = gen.generate(prompts, p, null);
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(gen.generate(List.of(prompts.get(r)), p.withSeed(77 + r), null).getFirst().tokens(), batch.get(r).tokens(), "row " + r);
        }
        List<TextGenerator.Result> greedy = gen.generate(prompts, SamplingParams.greedy(4), null);
        for (int r = 0; r < prompts.size(); r++) assertArrayEquals(naiveGreedy(m, prompts.get(r), 4), greedy.get(r).tokens(), "greedy row " + r);
    }

    /**
     * Finished rows leave the decode batch (their cache rows dropped) and nothing else changes: with a tenth of the
     * vocabulary as eos ids, seeded rows end at different steps, and every row samples the same ids (and streams the
     * same tokens) as with every row kept to the end; some rows end while others run, so the batch did shrink.
     */
    @Test
    void finishedRowsLeaveTheBatchAndTheOthersSampleTheSame() throws Exception {
        CausalLm m = model();
        int[] eos = IntStream.range(0, m.config().vocabSize()).filter(i -> i % 10 == 3).toArray();
        int[] a = {5, 17, 99, 3, 42}, b = {11, 12}, c = {120, 4, 66, 9};
        List<int[]> prompts = List.of(a, a, a, a, b, b, b, b, c, c, c, c);
        SamplingParams p = new SamplingParams(24, 1.0, 0, 1.0, 1.0, 4242, List.of());
        TextGenerator compacting = new TextGenerator(m, eos, null), keeping = new TextGenerator(m, eos, null);
        keeping.compactFinished(false);
        Map<Integer, List<Integer>> streamedCompacting = new TreeMap<>(), streamedKeeping = new TreeMap<>();
        List<SequenceState> shrunk = compacting.run(prompts, p, (row, t) -> streamedCompacting.computeIfAbsent(row, k -> new ArrayList<>()).add(t));
        List<SequenceState> full = keeping.run(prompts, p, (row, t) -> streamedKeeping.computeIfAbsent(row, k -> new ArrayList<>()).add(t));
        int endedEarly = 0, longest = 0;
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(full.get(r).sampledTokens(), shrunk.get(r).sampledTokens(), "row " + r);
            assertEquals(full.get(r).finish(), shrunk.get(r).finish(), "row " + r);
            longest = Math.max(longest, shrunk.get(r).sampled());
        }
        for (SequenceState s : shrunk) if (s.finish() == TextGenerator.FinishReason.EOS && s.sampled() < longest) endedEarly++;
        assertEquals(streamedKeeping, streamedCompacting);
        assertTrue(endedEarly >= 2 && TextGenerator.shouldCompact(prompts.size(), prompts.size() - 2),
                "at least two rows must end while others run, so the batch shrinks (ended early: " + endedEarly + ")");
    }

    @Test
    void finishedRowsAreDroppedOnceTheyAreAnEighthOfTheBatch() {
        assertFalse(TextGenerator.shouldCompact(64, 64));
        assertFalse(TextGenerator.shouldCompact(64, 57));
        assertTrue(TextGenerator.shouldCompact(64, 56));
        assertTrue(TextGenerator.shouldCompact(5, 4));
        assertTrue(TextGenerator.shouldCompact(1, 0));
    }
}
