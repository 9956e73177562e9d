package io.jswift.models.generate;

import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generation session: defaults, eos set, stop strings, streamed text and a step-driven sequence. */
class GenerationSessionTest {
    @TempDir
    Path dir;

    private GenerationSession session(Path model) throws Exception {
        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model();
        return GenerationSession.open(model, lm);
    }

    @Test
    void defaultsFollowGenerationConfigAndDoSample() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        SamplingParams none = session(model).defaults(7, 3);
        assertEquals(0, none.temperature());
        assertEquals(1.0, none.topP());
        assertEquals(0, none.topK());
        assertEquals(1.0, none.repetitionPenalty());
        assertEquals(7, none.maxNewTokens());
        assertEquals(3, none.seed());

        Files.writeString(model.resolve("generation_config.json"),
                "{\"do_sample\": true, \"temperature\": 0.7, \"top_p\": 0.9, \"top_k\": 20, \"repetition_penalty\": 1.1}");
        SamplingParams sampled = session(model).defaults(7, 3);
        assertEquals(0.7, sampled.temperature());
        assertEquals(0.9, sampled.topP());
        assertEquals(20, sampled.topK());
        assertEquals(1.1, sampled.repetitionPenalty());

        // without do_sample the reply is greedy, whatever temperature says; the repetition penalty still applies
        Files.writeString(model.resolve("generation_config.json"), "{\"temperature\": 0.7, \"top_k\": 20, \"repetition_penalty\": 1.3}");
        SamplingParams greedy = session(model).defaults(7, 3);
        assertEquals(0, greedy.temperature());
        assertEquals(0, greedy.topK());
        assertEquals(1.3, greedy.repetitionPenalty());

        Files.writeString(model.resolve("generation_config.json"), "{\"do_sample\": tru");
        var e = assertThrows(java.io.IOException.class, () -> GenerationConfig.read(model));
        assertTrue(e.getMessage().contains("generation_config.json"), e.getMessage());
    }

    @Test
    void eosSetIsTheUnionOfTokenizerConfigAndGenerationConfig() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        assertArrayEquals(new int[]{127, 2}, session(model).eosIds()); // tokenizer's <eos>, config.json's 2
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": [5, 2, 9]}");
        assertArrayEquals(new int[]{127, 2, 5, 9}, session(model).eosIds());
        Files.writeString(model.resolve("generation_config.json"), "{\"eos_token_id\": 11}");
        assertArrayEquals(new int[]{127, 2, 11}, session(model).eosIds());
    }

    @Test
    void textStreamCutsAtTheEarliestStopAndHoldsBackAPossibleStart() throws Exception {
        GenerationSession s = session(TinyChatModels.llamaWithTinyTokenizer(dir));
        int[] ids = s.tokenizer().encode("say abc abd now", false);
        TextStream stream = s.textStream(List.of("abd", "now"));
        StringBuilder shown = new StringBuilder();
        for (int id : ids) {
            String piece = stream.push(id);
            shown.append(piece);
            assertTrue("say abc ".startsWith(shown.toString()), "shown beyond the stop: " + shown);
            if (stream.stopped()) break;
        }
        shown.append(stream.finish());
        assertTrue(stream.stopped());
        assertEquals("say abc ", shown.toString());
        assertEquals("say abc ", stream.text());
        assertThrows(IllegalStateException.class, () -> stream.push(ids[0]));

        // a held-back possible start that turns out not to be a stop is released by the next piece or at the end
        TextStream held = s.textStream(List.of("xyz"));
        StringBuilder all = new StringBuilder();
        for (int id : s.tokenizer().encode("axy", false)) all.append(held.push(id));
        assertEquals("a", all.toString());
        assertEquals("xy", held.finish());
        assertThrows(IllegalArgumentException.class, () -> s.textStream(List.of("")));
    }

    @Test
    void sequenceDrivenByFullForwardsEqualsTheStaticBatchAndStopsAtEos() throws Exception {
        GenerationSession s = session(TinyChatModels.llamaWithTinyTokenizer(dir));
        int[] prompt = s.chatPrompt(List.of(Map.of("role", "user", "content", "hi there")), null);
        assertArrayEquals(s.tokenizer().encode("user: hi there\nassistant:", false), prompt);
        SamplingParams greedy = s.defaults(12, 0);
        TextGenerator.Result batch = s.generate(List.of(prompt), greedy, null).get(0);

        SequenceState seq = s.newSequence(prompt, greedy, 3);
        List<Integer> ids = new ArrayList<>();
        for (int p : prompt) ids.add(p);
        StringBuilder text = new StringBuilder();
        while (!seq.finished()) {
            SequenceState.Step step = seq.advance(lastLogits(s.model(), ids));
            ids.add(step.token());
            text.append(step.text());
            TokenLogprobs lp = step.logprobs();
            assertEquals(step.token(), lp.topIds()[0]); // greedy: the chosen token is the most likely
            assertEquals(lp.logprob(), lp.topLogprobs()[0], 1e-12);
            assertTrue(lp.topLogprobs()[0] >= lp.topLogprobs()[1] && lp.topLogprobs()[1] >= lp.topLogprobs()[2]);
        }
        assertArrayEquals(batch.tokens(), seq.tokens());
        assertEquals(batch.reason(), seq.finish());
        assertEquals(s.tokenizer().decode(batch.tokens(), true), text.toString());
        assertEquals(text.toString(), seq.text());
        assertEquals(prompt.length, seq.promptLength());

        // the first greedy token as eos: the sequence ends at once, the eos is sampled but not part of the reply
        int first = batch.tokens()[0];
        SequenceState ended = new SequenceState(prompt, greedy, new int[]{first}, s.textStream(List.of()), -1);
        SequenceState.Step step = ended.advance(lastLogits(s.model(), ids.subList(0, prompt.length)));
        assertEquals(TextGenerator.FinishReason.EOS, step.finish());
        assertNull(step.logprobs());
        assertEquals(0, ended.tokens().length);
        assertEquals(1, ended.sampled());
        assertThrows(IllegalStateException.class, () -> ended.advance(new float[128]));
    }

    @Test
    void stopStringEndsTheSequenceWithTheStopLeftOutOfTheText() throws Exception {
        GenerationSession s = session(TinyChatModels.llamaWithTinyTokenizer(dir));
        int[] prompt = s.chatPrompt(List.of(Map.of("role", "user", "content", "hi there")), null);
        TextGenerator.Result free = s.generate(List.of(prompt), s.defaults(12, 0), null).get(0);
        String full = s.tokenizer().decode(free.tokens(), true);
        String stop = full.substring(3, 5);
        SamplingParams withStop = s.defaults(12, 0).withStopStrings(List.of(stop));
        TextGenerator.Result stopped = s.generate(List.of(prompt), withStop, null).get(0);
        assertEquals(TextGenerator.FinishReason.STOP_STRING, stopped.reason());

        SequenceState seq = s.newSequence(prompt, withStop, -1);
        List<Integer> ids = new ArrayList<>();
        for (int p : prompt) ids.add(p);
        StringBuilder text = new StringBuilder();
        while (!seq.finished()) {
            SequenceState.Step step = seq.advance(lastLogits(s.model(), ids));
            ids.add(step.token());
            text.append(step.text());
        }
        assertEquals(TextGenerator.FinishReason.STOP_STRING, seq.finish());
        assertArrayEquals(stopped.tokens(), seq.tokens());
        assertEquals(full.substring(0, full.indexOf(stop)), text.toString());
    }

    private static float[] lastLogits(CausalLm m, List<Integer> ids) {
        long[] x = ids.stream().mapToLong(Integer::longValue).toArray();
        try (var g = GradMode.noGrad()) {
            return m.forward(DecoderInput.of(Tensor.ofLongs(x, 1, x.length))).value().select(0, 0).select(0, x.length - 1).toFloatArray();
        }
    }
}
