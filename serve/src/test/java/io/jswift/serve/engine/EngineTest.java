package io.jswift.serve.engine;

import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.generate.TextGenerator.FinishReason;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.load.ModelWriter;
import io.jswift.models.decoder.KvBlockPool;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.serve.metrics.ServerMetrics;
import io.jswift.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler without HTTP: chunked prefill changes no result and keeps running streams going. */
class EngineTest {
    @TempDir
    Path dir;

    private GenerationSession session() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        return GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
    }

    /** Collects one sequence's tokens; completes when it ends. */
    private static final class Collector implements SequenceListener {
        final List<Integer> tokens = new ArrayList<>();
        final CompletableFuture<int[]> done = new CompletableFuture<>();
        final AtomicInteger count = new AtomicInteger();
        final Runnable onFirst;

        Collector(Runnable onFirst) { this.onFirst = onFirst; }

        @Override public void onStep(SequenceState.Step step) {
            if (count.getAndIncrement() == 0 && onFirst != null) onFirst.run();
            if (step.finish() != FinishReason.EOS) tokens.add(step.token());
            if (step.finish() != null) done.complete(tokens.stream().mapToInt(Integer::intValue).toArray());
        }
        @Override public void onFailure(RuntimeException error) { done.completeExceptionally(error); }
        @Override public void onCancelled() { done.completeExceptionally(new IllegalStateException("cancelled")); }
    }

    private static int[] randomPrompt(Random r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = r.nextInt(96);
        return p;
    }

    /** Submits every prompt at once (greedy, maxTokens) and checks each stream against the static generator alone. */
    private static void assertServesTheGeneratorsGreedyTokens(Engine engine, GenerationSession session, List<int[]> prompts, int maxTokens)
            throws Exception {
        List<Collector> collectors = new ArrayList<>();
        for (int[] p : prompts) {
            Collector c = new Collector(null);
            collectors.add(c);
            engine.submit(List.of(new SequenceRequest(p, SamplingParams.greedy(maxTokens), -1, false, c)));
        }
        for (int i = 0; i < prompts.size(); i++) {
            int[] solo = session.generate(List.of(prompts.get(i)), SamplingParams.greedy(maxTokens), null).get(0).tokens();
            assertArrayEquals(solo, collectors.get(i).done.get(60, TimeUnit.SECONDS), "prompt " + i);
        }
    }

    @Test
    void chunkedPrefillGivesTheStaticGeneratorsGreedyTokens() throws Exception {
        GenerationSession session = session();
        Random r = new Random(3);
        List<int[]> prompts = List.of(randomPrompt(r, 7), randomPrompt(r, 23), randomPrompt(r, 3), randomPrompt(r, 40));
        try (Engine engine = new Engine(session, new EngineConfig(3, 8, 256, 5), EngineObserver.NONE)) {
            engine.start();
            assertServesTheGeneratorsGreedyTokens(engine, session, prompts, 15);
        }
    }

    /**
     * A bf16 model's KV pool is bf16 by default (kv_cache_dtype auto): twice the blocks of an f32 pool in the same bytes,
     * read in place by the paged kernels; its greedy tokens are the static generator's. float32 can be asked for.
     */
    @Test
    void aBf16ModelServesFromABf16PoolWithTheGeneratorsGreedyTokens() throws Exception {
        Path model = TinyChatModels.withTinyTokenizer(dir, "qwen3-bf16");
        GenerationSession session = GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
        Random r = new Random(5);
        List<int[]> prompts = List.of(randomPrompt(r, 9), randomPrompt(r, 21), randomPrompt(r, 4));
        int f32Blocks;
        try (Engine f32 = new Engine(session, new EngineConfig(3, 8, 128, 4, 4, 0, DType.F32), EngineObserver.NONE)) {
            assertEquals(DType.F32, f32.kvCacheDtype());
            f32Blocks = f32.kvBlocksTotal();
        }
        try (Engine engine = new Engine(session, new EngineConfig(3, 8, 128, 4, 4, 0), EngineObserver.NONE)) {
            assertEquals(DType.BF16, engine.kvCacheDtype());
            assertEquals(f32Blocks, engine.kvBlocksTotal(), "both fit max_num_seqs full-length sequences: the bound is the sequences, not the bytes");
            engine.start();
            assertServesTheGeneratorsGreedyTokens(engine, session, prompts, 10);
        }
        // the byte bound: a 2 GiB pool holds twice the bf16 blocks
        EngineConfig big = new EngineConfig(1 << 20, 8, 1 << 12, 0, 16, 0);
        assertEquals(2 * big.poolBlocks(1 << 20), big.poolBlocks(1 << 19));
        // recurrent-state slots share the bound: what they take, the blocks do not get; all of it is refused with a reason
        assertEquals(big.poolBlocks(1 << 20) - 512, big.poolBlocks(1 << 20, 512L << 20));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> big.poolBlocks(1 << 20, EngineConfig.DEFAULT_KV_BYTES));
        assertTrue(e.getMessage().contains("lower --max_num_seqs or give --kv_cache_blocks"), e.getMessage());
    }

    /**
     * An f16 model (the tiny qwen3 saved as float16): kv_cache_dtype auto gives an f16 pool, read in place by the paged
     * kernels (decode and prefill chunks), whose greedy tokens are the static generator's; float16 can be asked for too.
     */
    @Test
    void anF16ModelServesFromAnF16PoolWithTheGeneratorsGreedyTokens() throws Exception {
        Path f32 = TinyChatModels.withTinyTokenizer(dir, "qwen3-f32"), model = dir.resolve("qwen3-f16");
        ModelWriter.write(model, f32, ((LoadedModel.CausalLm) ModelLoader.load(f32, false)).model(), DType.F16);
        GenerationSession session = GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
        assertEquals(DType.F16, KvBlockPool.autoDtype(session.model()));
        assertEquals(DType.F16, EngineConfig.kvCacheDtype("float16"));
        Random r = new Random(6);
        List<int[]> prompts = List.of(randomPrompt(r, 9), randomPrompt(r, 21), randomPrompt(r, 4));
        try (Engine engine = new Engine(session, new EngineConfig(3, 8, 128, 4, 4, 0), EngineObserver.NONE)) {
            assertEquals(DType.F16, engine.kvCacheDtype());
            engine.start();
            assertServesTheGeneratorsGreedyTokens(engine, session, prompts, 10);
        }
        IllegalArgumentException fp8 = assertThrows(IllegalArgumentException.class, () -> EngineConfig.kvCacheDtype("fp8_e4m3"));
        assertTrue(fp8.getMessage().contains("fp8 KV caches are not supported"), fp8.getMessage());
    }

    /**
     * Qwen3-Next (Gated DeltaNet layers): concurrent requests of different prompt lengths, prefilled in chunks of 5 and
     * decoded in one batch, each row with its own recurrent state, give the static generator's greedy tokens; a slot per
     * admitted sequence (the fourth request waits for one), given back when it finishes or is cancelled.
     */
    @Test
    void qwen3NextServesConcurrentRequestsEachWithItsOwnRecurrentState() throws Exception {
        Path model = TinyChatModels.withTinyTokenizer(dir, "qwen3-next-f32");
        GenerationSession session = GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
        Random r = new Random(7);
        List<int[]> prompts = List.of(randomPrompt(r, 3), randomPrompt(r, 11), randomPrompt(r, 26), randomPrompt(r, 7));
        try (Engine engine = new Engine(session, new EngineConfig(3, 8, 128, 5, 4, 0), EngineObserver.NONE)) {
            // the slots' memory is stated and, with the default byte bound, taken out of the blocks' share
            long slot = KvBlockPool.bytesPerStateSlot(session.model());
            assertTrue(slot > 0);
            assertEquals(3, engine.stateSlotsTotal());
            assertEquals(3 * slot, engine.stateSlotBytes());
            assertEquals(engine.kvBlocksTotal() * KvBlockPool.bytesPerBlock(session.model(), engine.kvCacheDtype(), 4), engine.kvBlockBytes());
            ServerMetrics metrics = new ServerMetrics();
            String text = metrics.render(engine);
            assertTrue(text.contains("jswift_recurrent_state_bytes " + 3 * slot + "\n"), text);
            assertTrue(text.contains("jswift_kv_cache_memory_bytes " + (engine.kvBlockBytes() + 3 * slot) + "\n"), text);
            assertTrue(text.contains("jswift_recurrent_state_slots_total 3\n"), text);
            engine.start();
            assertServesTheGeneratorsGreedyTokens(engine, session, prompts, 12);
            awaitZero(engine::stateSlotsUsed);
            // a client that goes away mid-stream frees its slot and blocks at once
            CompletableFuture<Void> started = new CompletableFuture<>();
            Collector aborted = new Collector(() -> started.complete(null));
            SequenceHandle h = engine.submit(List.of(new SequenceRequest(randomPrompt(r, 9), SamplingParams.greedy(100), -1, true, aborted))).get(0);
            started.get(60, TimeUnit.SECONDS);
            assertEquals(1, engine.stateSlotsUsed());
            h.cancel();
            awaitZero(engine::stateSlotsUsed);
            awaitZero(engine::kvBlocksUsed);
        }
    }

    private static void awaitZero(IntSupplier value) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (value.getAsInt() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(0, value.getAsInt());
    }

    /** Tokens the running stream A receives while B's 200-token prompt is prefilled. */
    private int tokensDuringLongPrefill(GenerationSession session, int chunk) throws Exception {
        try (Engine engine = new Engine(session, new EngineConfig(2, 4, 256, chunk), EngineObserver.NONE)) {
            engine.start();
            CompletableFuture<Void> aStarted = new CompletableFuture<>();
            Collector a = new Collector(() -> aStarted.complete(null));
            engine.submit(List.of(new SequenceRequest(randomPrompt(new Random(1), 4), SamplingParams.greedy(120), -1, true, a)));
            aStarted.get(60, TimeUnit.SECONDS);
            engine.pause(); // B is queued between two steps: A's count is exact at both ends
            int before = a.count.get();
            AtomicInteger atFirstOfB = new AtomicInteger();
            Collector b = new Collector(() -> atFirstOfB.set(a.count.get()));
            engine.submit(List.of(new SequenceRequest(randomPrompt(new Random(2), 200), SamplingParams.greedy(2), -1, true, b)));
            engine.resume();
            b.done.get(60, TimeUnit.SECONDS);
            a.done.get(60, TimeUnit.SECONDS);
            return atFirstOfB.get() - before;
        }
    }

    @Test
    void aLongPromptIsPrefilledInChunksWhileRunningStreamsKeepDecoding() throws Exception {
        GenerationSession session = session();
        // 200 tokens in chunks of 8: 25 steps, each also decoding A
        int chunked = tokensDuringLongPrefill(session, 8);
        assertTrue(chunked >= 24, "A got " + chunked + " tokens while B prefilled in chunks");
        // whole-prompt prefill: B's prompt goes in one step, after A's decode of that step (and of a step still running
        // when the test paused the engine)
        int whole = tokensDuringLongPrefill(session, 0);
        assertTrue(whole <= 2, "A got " + whole + " tokens while B prefilled at once");
    }

    @Test
    void submitChecksTheVocabularyTheLengthAndTheQueue() throws Exception {
        GenerationSession session = session();
        try (Engine engine = new Engine(session, new EngineConfig(1, 1, 32, 0), EngineObserver.NONE)) {
            engine.start();
            assertThrows(IllegalArgumentException.class, () -> engine.submit(List.of(new SequenceRequest(new int[]{500}, SamplingParams.greedy(2), -1, false, new Collector(null)))));
            assertThrows(IllegalArgumentException.class, () -> engine.submit(List.of(new SequenceRequest(new int[30], SamplingParams.greedy(3), -1, false, new Collector(null)))));
            engine.pause();
            engine.submit(List.of(new SequenceRequest(new int[]{1}, SamplingParams.greedy(2), -1, false, new Collector(null)),
                    new SequenceRequest(new int[]{1}, SamplingParams.greedy(2), -1, false, new Collector(null))));
            assertEquals(2, engine.waiting());
            // all of a request's sequences or none: one more does not fit
            assertThrows(QueueFullException.class, () -> engine.submit(List.of(new SequenceRequest(new int[]{1}, SamplingParams.greedy(2), -1, false, new Collector(null)))));
            assertEquals(2, engine.waiting());
        }
    }

    @Test
    void aBoundedKvPoolQueuesSequencesAndSharesPromptPrefixes() throws Exception {
        GenerationSession session = session();
        Random r = new Random(5);
        int[] system = randomPrompt(r, 12); // a shared "system prompt": three full blocks of 4
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] p = java.util.Arrays.copyOf(system, 12 + 3 + i);
            for (int j = 12; j < p.length; j++) p[j] = r.nextInt(96);
            prompts.add(p);
        }
        AtomicInteger hits = new AtomicInteger();
        EngineObserver observer = new EngineObserver() {
            @Override public void prefilled(int promptTokens) {}
            @Override public void tokenGenerated(long a, long b, boolean first) {}
            @Override public void sequenceEnded(boolean cancelled) {}
            @Override public void prefixCacheHit(int tokens) { hits.addAndGet(tokens); }
        };
        // each sequence may need ceil((18 + 12) / 4) = 8 blocks: a pool of 15 runs one at a time (three at once would need 17)
        try (Engine engine = new Engine(session, new EngineConfig(4, 8, 256, 0, 4, 15), observer)) {
            engine.start();
            assertThrows(IllegalArgumentException.class, () -> engine.submit(List.of(new SequenceRequest(randomPrompt(r, 60), SamplingParams.greedy(20), -1, false, new Collector(null)))));
            Collector first = new Collector(null);
            engine.submit(List.of(new SequenceRequest(prompts.get(0), SamplingParams.greedy(12), -1, false, first)));
            first.done.get(60, TimeUnit.SECONDS);
            List<Collector> rest = new ArrayList<>();
            for (int i = 1; i < prompts.size(); i++) {
                Collector c = new Collector(null);
                rest.add(c);
                engine.submit(List.of(new SequenceRequest(prompts.get(i), SamplingParams.greedy(12), -1, false, c)));
            }
            assertArrayEquals(session.generate(List.of(prompts.get(0)), SamplingParams.greedy(12), null).get(0).tokens(), first.done.get());
            for (int i = 1; i < prompts.size(); i++) {
                int[] solo = session.generate(List.of(prompts.get(i)), SamplingParams.greedy(12), null).get(0).tokens();
                assertArrayEquals(solo, rest.get(i - 1).done.get(60, TimeUnit.SECONDS), "prompt " + i);
            }
            assertEquals(3 * 12, hits.get()); // the later three found the 12-token prefix in the pool
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (engine.kvBlocksUsed() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(0, engine.kvBlocksUsed());
        }
    }
}
