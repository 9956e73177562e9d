package io.jswift.serve.engine;

import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.GridThw;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen2-VL prompts with images in the scheduler: prefilled in chunks (--max_num_batched_tokens) like text, with the
 * greedy tokens and logprobs of the whole-prompt prefill (and transformers' greedy tokens,
 * tools/fixtures/qwen2vl_model_fixtures.py greedy.two); prefix blocks shared only between prompts with the same images.
 */
class ImagePromptEngineTest {
    private static final Path MODEL = Path.of("../models/src/test/resources/models/qwen2-vl-f32").toAbsolutePath().normalize();

    private static GenerationSession session() throws Exception {
        return GenerationSession.open(MODEL, ((LoadedModel.CausalLm) ModelLoader.load(MODEL, false)).model());
    }

    private static SafetensorsFile expected() throws Exception {
        return SafetensorsFile.open(MODEL.resolve("expected.safetensors"));
    }

    /** The fixture's two-image prompt (31 tokens, image pads at 3..17 and 22..27). */
    private static int[] prompt(SafetensorsFile exp) {
        long[] ids = exp.tensor("input_ids.two").toLongArray();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    private static VisionInput images(SafetensorsFile exp, double scale) {
        long[] thw = exp.tensor("image_grid_thw.two").toLongArray();
        List<GridThw> grids = new ArrayList<>();
        for (int i = 0; i < thw.length; i += 3) grids.add(new GridThw((int) thw[i], (int) thw[i + 1], (int) thw[i + 2]));
        Tensor pixels = exp.tensor("pixel_values.two").to(DType.F32);
        float[] v = pixels.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] * scale);
        return new VisionInput(Tensor.of(v, pixels.shape()), grids);
    }

    /** One sequence's greedy tokens and their logprobs. */
    private static final class Collector implements SequenceListener {
        final List<Integer> tokens = new ArrayList<>();
        final List<Double> logprobs = new ArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        @Override public void onStep(SequenceState.Step step) {
            tokens.add(step.token());
            logprobs.add(step.logprobs().logprob());
            if (step.finish() != null) done.complete(null);
        }
        @Override public void onFailure(RuntimeException error) { done.completeExceptionally(error); }
        @Override public void onCancelled() { done.completeExceptionally(new IllegalStateException("cancelled")); }

        int[] tokens() { return tokens.stream().mapToInt(Integer::intValue).toArray(); }
    }

    private static Collector run(Engine engine, int[] prompt, VisionInput images) throws Exception {
        Collector c = new Collector();
        engine.submit(List.of(new SequenceRequest(prompt, SamplingParams.greedy(6), 1, true, c, null, images)));
        c.done.get(120, TimeUnit.SECONDS);
        return c;
    }

    private static final class Hits implements EngineObserver {
        final AtomicInteger tokens = new AtomicInteger(), chunks = new AtomicInteger(), encodes = new AtomicInteger();
        @Override public void imagesEncoded(int images) { encodes.incrementAndGet(); }
        @Override public void prefilled(int promptTokens) { chunks.incrementAndGet(); }
        @Override public void tokenGenerated(long a, long b, boolean first) {}
        @Override public void sequenceEnded(boolean cancelled) {}
        @Override public void prefixCacheHit(int t) { tokens.addAndGet(t); }
    }

    @Test
    void anImagePromptPrefilledInChunksGivesTheWholePrefillsTokensAndLogprobs() throws Exception {
        GenerationSession session = session();
        SafetensorsFile exp = expected();
        int[] prompt = prompt(exp);
        long[] transformers = exp.tensor("greedy.two").toLongArray();
        Collector whole, chunked;
        Hits wholeChunks = new Hits(), chunks = new Hits();
        try (Engine engine = new Engine(session, new EngineConfig(2, 2, 128, 0, 4, 0), wholeChunks)) {
            engine.start();
            whole = run(engine, prompt, images(exp, 1));
        }
        // chunks of 5 cut through both runs of image pads (3..17, 22..27)
        try (Engine engine = new Engine(session, new EngineConfig(2, 2, 128, 5, 4, 0), chunks)) {
            engine.start();
            chunked = run(engine, prompt, images(exp, 1));
        }
        assertEquals(1, wholeChunks.chunks.get());
        assertEquals(7, chunks.chunks.get(), "31 prompt tokens in chunks of 5");
        int[] want = new int[transformers.length];
        for (int i = 0; i < want.length; i++) want[i] = (int) transformers[i];
        assertArrayEquals(want, whole.tokens(), "whole-prompt prefill vs transformers");
        assertArrayEquals(want, chunked.tokens(), "chunked prefill vs transformers");
        for (int i = 0; i < want.length; i++) {
            assertEquals(whole.logprobs.get(i), chunked.logprobs.get(i), 1e-4, "logprob of token " + i);
        }
    }

    @Test
    void prefixBlocksAreSharedOnlyBetweenPromptsWithTheSameImages() throws Exception {
        GenerationSession session = session();
        SafetensorsFile exp = expected();
        int[] prompt = prompt(exp);
        Hits hits = new Hits();
        try (Engine engine = new Engine(session, new EngineConfig(2, 2, 128, 8, 4, 0), hits)) {
            engine.start();
            Collector a = run(engine, prompt, images(exp, 1));
            Collector other = run(engine, prompt, images(exp, -1)); // the same tokens, other pixels
            assertEquals(0, hits.tokens.get(), "a prompt with other images reused cached blocks");
            Collector aloneOther;
            try (Engine fresh = new Engine(session, new EngineConfig(2, 2, 128, 8, 4, 0), EngineObserver.NONE)) {
                fresh.start();
                aloneOther = run(fresh, prompt, images(exp, -1));
            }
            assertArrayEquals(aloneOther.tokens(), other.tokens(), "other images: its own keys and values");
            assertTrue(Math.abs(a.logprobs.getFirst() - other.logprobs.getFirst()) > 1e-6, "the images matter to this prompt's reply");
            Collector again = run(engine, prompt, images(exp, 1)); // equal pixels (another copy): the blocks are shared
            assertEquals(28, hits.tokens.get(), "seven full blocks of 4 of the 31-token prompt come from the pool");
            assertArrayEquals(a.tokens(), again.tokens());
            for (int i = 0; i < a.logprobs.size(); i++) assertEquals(a.logprobs.get(i), again.logprobs.get(i), 1e-4);
        }
    }

    /** The n choices of one request: the vision tower runs once, the later choice takes the first's features and blocks. */
    @Test
    void theChoicesOfOneRequestEncodeTheImagesOnce() throws Exception {
        GenerationSession session = session();
        SafetensorsFile exp = expected();
        int[] prompt = prompt(exp);
        VisionInput images = images(exp, 1);
        Hits hits = new Hits();
        try (Engine engine = new Engine(session, new EngineConfig(2, 2, 128, 6, 4, 0), hits)) {
            engine.start();
            Collector a = new Collector(), b = new Collector();
            engine.pause(); // both admitted in one step
            engine.submit(List.of(new SequenceRequest(prompt, SamplingParams.greedy(6), 1, true, a, null, images),
                    new SequenceRequest(prompt, SamplingParams.greedy(6), 1, true, b, null, images)));
            engine.resume();
            a.done.get(120, TimeUnit.SECONDS);
            b.done.get(120, TimeUnit.SECONDS);
            assertEquals(1, hits.encodes.get(), "vision tower runs for the request");
            assertEquals(28, hits.tokens.get(), "the second choice found the first's prompt blocks");
            assertArrayEquals(a.tokens(), b.tokens());
            Collector c = run(engine, prompt, images(exp, 1)); // another request: its own encoding
            assertEquals(2, hits.encodes.get());
            assertArrayEquals(a.tokens(), c.tokens());
        }
    }

    @Test
    void theImageKeyIsTheContentAndTheAdapter() throws Exception {
        SafetensorsFile exp = expected();
        long base = ImageKey.namespace(0, images(exp, 1));
        assertEquals(base, ImageKey.namespace(0, images(exp, 1)));
        assertNotEquals(base, ImageKey.namespace(0, images(exp, -1)));
        assertNotEquals(base, ImageKey.namespace(1, images(exp, 1)));
        assertNotEquals(0, base);
        VisionInput same = images(exp, 1);
        List<GridThw> swapped = List.of(same.grids().get(1), same.grids().get(0));
        assertNotEquals(base, ImageKey.namespace(0, new VisionInput(same.pixelValues(), swapped)));
    }
}
