package io.jswift.serve.engine;

import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.generate.TextGenerator.FinishReason;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stall-free batching (Sarathi-Serve; vLLM V1): each engine step decodes every running sequence first and fills the
 * rest of max_num_batched_tokens with prompt chunks; results stay the static generator's greedy tokens.
 */
class StallFreeBatchingTest {
    @TempDir
    Path dir;

    /** One engine step as the observer saw it, with the first stream's token count at its end. */
    private record Step(int decodes, int prefill, int firstStreamTokens) {}

    private static final class Collector implements SequenceListener {
        final List<Integer> tokens = new ArrayList<>();
        final CompletableFuture<int[]> done = new CompletableFuture<>();
        final CompletableFuture<Void> started = new CompletableFuture<>();
        final AtomicInteger count = new AtomicInteger();

        @Override public void onStep(SequenceState.Step step) {
            count.incrementAndGet();
            started.complete(null);
            if (step.finish() != FinishReason.EOS) tokens.add(step.token());
            if (step.finish() != null) done.complete(tokens.stream().mapToInt(Integer::intValue).toArray());
        }
        @Override public void onFailure(RuntimeException error) { done.completeExceptionally(error); }
        @Override public void onCancelled() { done.completeExceptionally(new IllegalStateException("cancelled")); }
    }

    private static final class StepLog implements EngineObserver {
        final List<Step> steps = new CopyOnWriteArrayList<>();
        final AtomicInteger prefixHits = new AtomicInteger();
        volatile Collector watched;

        @Override public void prefilled(int promptTokens) {}
        @Override public void tokenGenerated(long a, long b, boolean first) {}
        @Override public void sequenceEnded(boolean cancelled) {}
        @Override public void prefixCacheHit(int tokens) { prefixHits.addAndGet(tokens); }
        @Override public void stepScheduled(int decodes, int prefill) {
            steps.add(new Step(decodes, prefill, watched == null ? 0 : watched.count.get()));
        }
    }

    private GenerationSession session() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        return GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
    }

    private static int[] randomPrompt(Random r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = r.nextInt(96);
        return p;
    }

    /**
     * Two streams decode while a 200-token prompt arrives, budget 8: every step decodes both streams (one token each)
     * and prefills the 6 tokens they leave, so the prompt runs in 34 chunks (33 of 6, one of 2), each step giving the
     * streams a token; nobody's tokens change.
     */
    @Test
    void aLongPromptIsInterleavedWithTheDecodesWithinTheBudget() throws Exception {
        GenerationSession session = session();
        Random r = new Random(11);
        int[] a1 = randomPrompt(r, 4), a2 = randomPrompt(r, 4), b = randomPrompt(r, 200);
        StepLog log = new StepLog();
        Collector c1 = new Collector(), c2 = new Collector(), cb = new Collector();
        log.watched = c1;
        try (Engine engine = new Engine(session, new EngineConfig(3, 4, 256, 8, 4, 0), log)) {
            engine.start();
            engine.submit(List.of(new SequenceRequest(a1, SamplingParams.greedy(60), -1, true, c1), new SequenceRequest(a2, SamplingParams.greedy(60), -1, true, c2)));
            c1.started.get(60, TimeUnit.SECONDS);
            c2.started.get(60, TimeUnit.SECONDS);
            engine.submit(List.of(new SequenceRequest(b, SamplingParams.greedy(4), -1, true, cb)));
            int[] tb = cb.done.get(60, TimeUnit.SECONDS), t1 = c1.done.get(60, TimeUnit.SECONDS), t2 = c2.done.get(60, TimeUnit.SECONDS);
            assertArrayEquals(session.generate(List.of(b), SamplingParams.greedy(4), null).get(0).tokens(), tb);
            // the streams ignore EOS to outlast B's prefill: up to the generator's EOS they are its tokens
            assertStartsWith(session.generate(List.of(a1), SamplingParams.greedy(60), null).get(0).tokens(), t1);
            assertStartsWith(session.generate(List.of(a2), SamplingParams.greedy(60), null).get(0).tokens(), t2);
        }
        List<Step> steps = log.steps;
        assertEquals(new Step(0, 8, 1), steps.getFirst(), "both 4-token prompts in the first step");
        for (Step s : steps) assertTrue(s.decodes() + s.prefill() <= 8, "step " + s + " exceeds the budget");
        int first = -1, last = -1;
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i).prefill() > 0) {
                if (first < 0) first = i;
                last = i;
            }
        }
        assertEquals(34, last - first + 1, "B's chunks in consecutive steps: " + steps);
        for (int i = first; i <= last; i++) {
            Step s = steps.get(i);
            assertEquals(new Step(2, i == last ? 2 : 6, steps.get(i - 1).firstStreamTokens() + 1), s, "step " + i);
        }
    }

    private static void assertStartsWith(int[] expected, int[] actual) {
        assertTrue(actual.length >= expected.length, "got " + actual.length + " tokens, expected at least " + expected.length);
        assertArrayEquals(expected, Arrays.copyOf(actual, expected.length));
    }

    /**
     * A prompt sharing a 12-token prefix with a running stream's arrives while it decodes: the prefix comes from the pool
     * (not prefilled, not counted in the budget), the rest in chunks next to the decodes, the tokens unchanged.
     */
    @Test
    void aPrefixCacheHitArrivingMidDecodeIsChunkedNextToTheDecodes() throws Exception {
        GenerationSession session = session();
        Random r = new Random(12);
        int[] first = randomPrompt(r, 14);
        int[] second = Arrays.copyOf(first, 30);
        for (int i = 12; i < second.length; i++) second[i] = r.nextInt(96);
        StepLog log = new StepLog();
        Collector c1 = new Collector(), c2 = new Collector();
        try (Engine engine = new Engine(session, new EngineConfig(2, 4, 256, 6, 4, 0), log)) {
            engine.start();
            engine.submit(List.of(new SequenceRequest(first, SamplingParams.greedy(40), -1, true, c1)));
            c1.started.get(60, TimeUnit.SECONDS);
            engine.submit(List.of(new SequenceRequest(second, SamplingParams.greedy(8), -1, true, c2)));
            assertArrayEquals(session.generate(List.of(second), SamplingParams.greedy(8), null).get(0).tokens(), c2.done.get(60, TimeUnit.SECONDS));
            assertArrayEquals(session.generate(List.of(first), SamplingParams.greedy(40), null).get(0).tokens(), c1.done.get(60, TimeUnit.SECONDS));
            assertEquals(12, log.prefixHits.get());
            // the first prompt alone: 6, 6, 2; then the 18 tokens past the prefix, 5 per step next to the one decode
            List<Step> prefills = log.steps.stream().filter(s -> s.prefill() > 0).toList();
            assertEquals(List.of(6, 6, 2, 5, 5, 5, 3), prefills.stream().map(Step::prefill).toList());
            assertEquals(List.of(0, 0, 0, 1, 1, 1, 1), prefills.stream().map(Step::decodes).toList(), "the running stream decodes in every step of the chunks");
        }
    }

    /**
     * Two choices of one prompt arrive together (n = 2): the second would share the blocks the first one's chunk writes
     * in this step, so it waits one step and takes the prompt's three full blocks from the pool (prefilling only the
     * rest) instead of prefilling a copy next to it; both get the static generator's tokens.
     */
    @Test
    void aPromptWaitsOneStepForTheBlocksAChunkOfTheSameStepWrites() throws Exception {
        GenerationSession session = session();
        int[] prompt = randomPrompt(new Random(13), 14);
        StepLog log = new StepLog();
        Collector c1 = new Collector(), c2 = new Collector();
        try (Engine engine = new Engine(session, new EngineConfig(2, 4, 256, 32, 4, 0), log)) {
            engine.submit(List.of(new SequenceRequest(prompt, SamplingParams.greedy(6), -1, true, c1), new SequenceRequest(prompt, SamplingParams.greedy(6), -1, true, c2)));
            engine.start(); // both are queued before the first step
            int[] solo = session.generate(List.of(prompt), SamplingParams.greedy(6), null).get(0).tokens();
            assertArrayEquals(solo, c1.done.get(60, TimeUnit.SECONDS));
            assertArrayEquals(solo, c2.done.get(60, TimeUnit.SECONDS));
        }
        assertEquals(12, log.prefixHits.get(), "the second choice found the first one's three full blocks");
        assertEquals(new Step(0, 14, 0), log.steps.get(0));
        assertEquals(new Step(1, 2, 0), log.steps.get(1), "the first decodes while the second prefills the 2 tokens past the shared blocks");
    }

    @Test
    void theBudgetHoldsEveryDecodeOrIsRefused() {
        EngineConfig c = new EngineConfig(4, 4, 256, 10, 4, 0);
        assertEquals(10, c.prefillBudget(0));
        assertEquals(6, c.prefillBudget(4));
        assertEquals(Integer.MAX_VALUE, new EngineConfig(4, 4, 256, 0).prefillBudget(4), "0: no bound");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EngineConfig(8, 4, 256, 4));
        assertTrue(e.getMessage().contains("max_num_batched_tokens (4) must be >= max_num_seqs (8)"), e.getMessage());
    }
}
