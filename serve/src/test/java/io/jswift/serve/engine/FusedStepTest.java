package io.jswift.serve.engine;

import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.KvBlockPool;
import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One fused engine step (ModelRunner#step: decode rows and prompt chunks packed in one forward) against the two forwards
 * it replaces (the batched decode, then each chunk's prefill): the same logits within rounding, the same caches after
 * it, and the same greedy tokens from there on.
 */
class FusedStepTest {
    @TempDir
    Path dir;

    private static final SequenceListener IGNORED = new SequenceListener() {
        @Override public void onStep(SequenceState.Step step) {}
        @Override public void onFailure(RuntimeException error) {}
        @Override public void onCancelled() {}
    };

    private static int[] randomPrompt(Random r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = r.nextInt(96);
        return p;
    }

    /** Sequences A and B decoding (two tokens in), C with 5 of its 13 prompt tokens in, D not started; over a fresh pool. */
    private record Scene(ModelRunner runner, List<RunningSequence> decodes, RunningSequence c, RunningSequence d) {}

    private static Scene scene(GenerationSession session) {
        KvBlockPool pool = KvBlockPool.forModel(session.model(), DType.F32, 64, 4, 64);
        ModelRunner runner = new ModelRunner(session.model(), null, EngineObserver.NONE);
        Random r = new Random(21);
        List<RunningSequence> all = new ArrayList<>();
        for (int n : new int[]{9, 14, 13, 10}) {
            int[] prompt = randomPrompt(r, n);
            SamplingParams params = SamplingParams.greedy(24);
            RunningSequence s = new RunningSequence(new SequenceRequest(prompt, params, -1, true, IGNORED), session.newSequence(prompt, params, -1, true),
                    -1, 0, 0);
            s.cache = PagedKvCache.open(pool, prompt, n + 24);
            all.add(s);
        }
        RunningSequence a = all.get(0), b = all.get(1);
        for (RunningSequence s : List.of(a, b)) s.state.advance(runner.prefill(s, s.request.prompt().length));
        for (int i = 0; i < 2; i++) {
            float[][] logits = runner.decode(List.of(a, b));
            a.state.advance(logits[0]);
            b.state.advance(logits[1]);
        }
        runner.prefill(all.get(2), 5);
        return new Scene(runner, List.of(a, b), all.get(2), all.get(3));
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        float scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        assertArrayEquals(expected, actual, 1e-5f * Math.max(1, scale), what);
    }

    @Test
    void aMixedStepGivesTheLogitsAndGreedyTokensOfTheTwoForwards() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        GenerationSession session = GenerationSession.open(model, ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model());
        try (var g = GradMode.noGrad()) {
            Scene fused = scene(session), apart = scene(session);
            assertTrue(fused.runner().packs());
            // the step: A and B decode, C's last 8 prompt tokens complete its prompt, D's first 6 of 10 do not
            float[][] one = fused.runner().step(fused.decodes(), List.of(new PromptChunk(fused.c(), 8), new PromptChunk(fused.d(), 6)));
            float[][] decoded = apart.runner().decode(apart.decodes());
            float[] cFirst = apart.runner().prefill(apart.c(), 8);
            apart.runner().prefill(apart.d(), 6);
            assertEquals(4, one.length);
            assertClose(decoded[0], one[0], "A");
            assertClose(decoded[1], one[1], "B");
            assertClose(cFirst, one[2], "C's first token");
            assertNull(one[3], "D's prompt goes on: no logits");
            assertEquals(apart.c().prefilled, fused.c().prefilled);
            assertEquals(apart.d().prefilled, fused.d().prefilled);
            // from here on: A, B and C decode, D's last 4 prompt tokens go in next to them, then it decodes as well
            List<Scene> scenes = List.of(fused, apart);
            float[][][] first = {one, {decoded[0], decoded[1], cFirst, null}};
            for (int side = 0; side < 2; side++) {
                Scene s = scenes.get(side);
                s.decodes().get(0).state.advance(first[side][0]);
                s.decodes().get(1).state.advance(first[side][1]);
                s.c().state.advance(first[side][2]);
            }
            for (int step = 0; step < 8; step++) {
                for (int side = 0; side < 2; side++) {
                    Scene s = scenes.get(side);
                    List<RunningSequence> decodes = new ArrayList<>(List.of(s.decodes().get(0), s.decodes().get(1), s.c()));
                    if (step > 0) decodes.add(s.d());
                    float[][] logits;
                    if (side == 0) {
                        logits = s.runner().step(decodes, step == 0 ? List.of(new PromptChunk(s.d(), 4)) : List.of());
                    } else {
                        float[][] d = s.runner().decode(decodes);
                        logits = step == 0 ? new float[][]{d[0], d[1], d[2], s.runner().prefill(s.d(), 4)} : d;
                    }
                    for (int r = 0; r < 4; r++) (r < 3 ? decodes.get(r) : s.d()).state.advance(logits[r]);
                }
                for (int r = 0; r < 4; r++) {
                    RunningSequence f = r < 2 ? fused.decodes().get(r) : r == 2 ? fused.c() : fused.d();
                    RunningSequence a = r < 2 ? apart.decodes().get(r) : r == 2 ? apart.c() : apart.d();
                    assertArrayEquals(a.state.sampledTokens(), f.state.sampledTokens(), "sequence " + r + " after step " + step);
                }
            }
            assertEquals(8, fused.d().state.sampled());
        }
    }
}
