package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DecoderInput#sharedPrefix()}: one row [prompt | A | B | padding] (segments 0, 1, 2, 3; A's and B's positions
 * both start after the prompt) gives the prompt's and A's hidden states of [prompt | A] alone and B's of [prompt | B]
 * alone, for dense, MoE and latent-attention (MLA) decoders; models with sliding-window or linear-attention layers refuse it.
 */
class SharedPrefixInputTest {
    private static final long[] PROMPT = {5, 17, 99, 3, 42, 8, 77}, A = {11, 12, 13}, B = {120, 4, 66, 9, 31};

    @ParameterizedTest
    @ValueSource(strings = {"qwen3-f32", "llama-f32", "qwen3-moe-f32", "deepseek-v2-f32"})
    void aSharedPrefixRowGivesEachCompletionItsHiddenStatesAlone(String name) throws Exception {
        CausalLm m = load(name);
        assertTrue(m.sharesPrefixes());
        int p = PROMPT.length, a = A.length, b = B.length, width = p + a + b + 2;
        long[] ids = new long[width], pos = new long[width];
        int[] seg = new int[width];
        for (int i = 0; i < width; i++) {
            boolean inA = i >= p && i < p + a, inB = i >= p + a && i < p + a + b;
            ids[i] = i < p ? PROMPT[i] : inA ? A[i - p] : inB ? B[i - p - a] : 0;
            pos[i] = i < p + a ? i : inB ? i - a : i - p - a - b;
            seg[i] = i < p ? 0 : inA ? 1 : inB ? 2 : 3;
        }
        try (var g = GradMode.noGrad()) {
            DecoderInput packed = new DecoderInput(Tensor.ofLongs(ids, 1, width), Tensor.ofLongs(pos, 1, width), Tensor.ofInts(seg, 1, width),
                    null, false, null, true);
            float[] shared = m.hiddenStates(packed).value().toFloatArray();
            int c = shared.length / width;
            float[] alone1 = alone(m, PROMPT, A), alone2 = alone(m, PROMPT, B);
            assertClose(toDoubles(alone1), Tensor.of(Arrays.copyOfRange(shared, 0, (p + a) * c), (p + a) * c), 2e-5, 2e-5, name + " prompt and A");
            assertClose(toDoubles(Arrays.copyOfRange(alone2, p * c, (p + b) * c)),
                    Tensor.of(Arrays.copyOfRange(shared, (p + a) * c, (p + a + b) * c), b * c), 2e-5, 2e-5, name + " B");
        }
    }

    /** Gemma 3's windows count packed-row distances; Qwen3-Next's Gated DeltaNet state runs along the whole row. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma3-f32", "qwen3-next-f32"})
    void slidingWindowAndLinearAttentionModelsRefuseASharedPrefix(String name) throws Exception {
        CausalLm m = load(name);
        assertFalse(m.sharesPrefixes());
        Tensor ids = Tensor.ofLongs(new long[]{5, 6, 7}, 1, 3);
        DecoderInput in = new DecoderInput(ids, Tensor.ofLongs(new long[]{0, 1, 1}, 1, 3), Tensor.ofInts(new int[]{0, 1, 2}, 1, 3), null, false, null, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.hiddenStates(in));
        assertTrue(e.getMessage().contains("sliding-window or linear-attention layers"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DecoderInput(ids, null, null, null, false, null, true), "needs segment and position ids");
    }

    private static CausalLm load(String name) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(TinyChatModels.checkpoint(name), false)).model();
    }

    private static float[] alone(CausalLm m, long[] prompt, long[] completion) {
        long[] ids = new long[prompt.length + completion.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        return m.hiddenStates(DecoderInput.of(Tensor.ofLongs(ids, 1, ids.length))).value().toFloatArray();
    }

    private static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
