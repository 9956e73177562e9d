package io.jswift.models.qwen2vl;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.vision.PromptImages;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

/**
 * A prompt with images prefilled in chunks (the server's chunked prefill): the images encoded once, each chunk with
 * its slice of the features and of the M-RoPE positions, gives at every position the logits of one prefill of the whole
 * prompt, and the decode after it transformers' greedy tokens (the rope delta reaches the cache).
 */
class Qwen2VlChunkedPrefillTest {
    @ParameterizedTest(name = "{0} {1} chunks of {2}")
    @CsvSource({"qwen2-vl-f32, one, 5", "qwen2-vl-f32, two, 7", "qwen2-vl-f32, two, 1", "qwen2_5-vl-f32, two, 6"})
    void chunksComputeWhatTheWholePromptDoes(String name, String key, int chunk) throws Exception {
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        SafetensorsFile exp = SafetensorsFile.open(Qwen2VlGoldenTest.fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids." + key);
        long[] prompt = ids.toLongArray(), expected = exp.tensor("greedy." + key).toLongArray();
        int t = prompt.length;
        try (var s = GradMode.noGrad()) {
            Tensor whole = model.forward(new DecoderInput(ids, null, null, model.newCache(1, t), false), Qwen2VlGoldenTest.vision(exp, key), 0).value();
            KvCache cache = model.newCache(1, t + expected.length);
            PromptImages images = model.encodeImages(prompt, Qwen2VlGoldenTest.vision(exp, key));
            Tensor last = null;
            for (int from = 0; from < t; from += chunk) {
                int n = Math.min(chunk, t - from);
                Tensor part = Tensor.ofLongs(Arrays.copyOfRange(prompt, from, from + n), 1, n);
                Tensor logits = model.forwardChunk(new DecoderInput(part, null, null, cache, false), images, from, 0).value();
                double err = relL2(whole.narrow(1, from, n).contiguous(), logits);
                assertTrue(err < 1e-5, name + " " + key + " chunk at " + from + ": rel. L2 error " + err);
                last = logits.narrow(1, n - 1, 1);
            }
            long[] got = new long[expected.length];
            for (int i = 0; i < expected.length; i++) {
                got[i] = argmax(last.reshape(-1).toFloatArray());
                if (i + 1 < expected.length) {
                    last = model.forward(new DecoderInput(Tensor.ofLongs(new long[]{got[i]}, 1, 1), null, null, cache, false), 1).value();
                }
            }
            assertArrayEquals(expected, got, name + " " + key + " greedy after chunks of " + chunk);
        }
    }

    @ParameterizedTest
    @CsvSource("qwen2-vl-f32, two")
    void aChunkMustBeTheEncodedPromptsNextTokens(String name, String key) throws Exception {
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        SafetensorsFile exp = SafetensorsFile.open(Qwen2VlGoldenTest.fixture(name).resolve("expected.safetensors"));
        long[] prompt = exp.tensor("input_ids." + key).toLongArray();
        try (var s = GradMode.noGrad()) {
            PromptImages images = model.encodeImages(prompt, Qwen2VlGoldenTest.vision(exp, key));
            KvCache cache = model.newCache(1, prompt.length);
            Tensor wrong = Tensor.ofLongs(Arrays.copyOfRange(prompt, 1, 4), 1, 3);
            String m = assertThrows(IllegalArgumentException.class,
                    () -> model.forwardChunk(new DecoderInput(wrong, null, null, cache, false), images, 0, 1)).getMessage();
            assertTrue(m.contains("not the encoded prompt's tokens [0, 3)"), m);
            Tensor ok = Tensor.ofLongs(Arrays.copyOfRange(prompt, 0, 3), 1, 3);
            m = assertThrows(IllegalArgumentException.class, () -> model.forwardChunk(new DecoderInput(ok, null, null, cache, false), images, 2, 1)).getMessage();
            assertTrue(m.contains("after the 2 its cache holds"), m);
        }
    }

    private static long argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
