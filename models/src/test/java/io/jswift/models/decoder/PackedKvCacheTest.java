package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several sequences' new tokens packed as the rows [N, 1] of one forward (the server's fused step) give every row the
 * logits of its own sequence's forward: decode rows as a [1, 1] step, a prompt chunk's rows as a [1, T] chunk, over
 * caches of different lengths, with the keys written where the next step finds them.
 */
class PackedKvCacheTest {
    private static final int[] X = {5, 17, 99, 3, 42, 8, 77}, Y = {9, 61, 4, 100, 13, 7}, Z = {1, 2, 3, 4, 5, 6, 7, 8};

    private static CausalLm model(String name) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(TinyChatModels.checkpoint(name), false)).model();
    }

    private static Tensor ids(long[] ids, int b, int t) { return Tensor.ofLongs(ids, b, t); }

    /** Three sequences over a fresh pool: X and Y with their prompts in (they decode next), Z with 3 of its 8 prompt tokens. */
    private static List<PagedKvCache> prepared(CausalLm m) {
        KvBlockPool pool = KvBlockPool.forModel(m, DType.F32, 32, 4, 32);
        List<PagedKvCache> caches = List.of(PagedKvCache.open(pool, X, 24), PagedKvCache.open(pool, Y, 24), PagedKvCache.open(pool, Z, 24));
        try (var g = GradMode.noGrad()) {
            int[][] parts = {X, Y, Arrays.copyOf(Z, 3)};
            for (int s = 0; s < 3; s++) m.forward(new DecoderInput(ids(longs(parts[s]), 1, parts[s].length), null, null, caches.get(s), false), 1);
        }
        return caches;
    }

    private static long[] longs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    /** Logits [rows, V] of one sequence's own forward of {@code tokens} from its cache's length on. */
    private static float[][] alone(CausalLm m, PagedKvCache cache, int[] tokens) {
        try (var g = GradMode.noGrad()) {
            Tensor logits = m.forward(new DecoderInput(ids(longs(tokens), 1, tokens.length), null, null, cache, false), 0).value();
            return rows(logits.reshape(tokens.length, -1));
        }
    }

    /** Logits [N, V] of one packed forward: sequence s's {@code tokens[s]} as consecutive rows, positions from its cache's length. */
    private static float[][] packed(CausalLm m, List<PagedKvCache> caches, int[][] tokens) {
        int n = Arrays.stream(tokens).mapToInt(t -> t.length).sum();
        long[] ids = new long[n], pos = new long[n];
        int[] spans = new int[tokens.length];
        for (int s = 0, row = 0; s < tokens.length; s++) {
            spans[s] = tokens[s].length;
            for (int i = 0; i < spans[s]; i++, row++) {
                ids[row] = tokens[s][i];
                pos[row] = caches.get(s).length() + i;
            }
        }
        try (var g = GradMode.noGrad()) {
            Tensor logits = m.forward(new DecoderInput(ids(ids, n, 1), ids(pos, n, 1), null, new PackedKvCache(caches, spans), false), 1).value();
            return rows(logits.reshape(n, -1));
        }
    }

    private static float[][] rows(Tensor logits) {
        float[][] out = new float[logits.size(0)][];
        for (int r = 0; r < out.length; r++) out[r] = logits.select(0, r).contiguous().toFloatArray();
        return out;
    }

    /**
     * Step 1 packs X's and Y's decode tokens with Z's 5-token chunk (rows 1, 1, 5); step 2 packs three decode rows,
     * which read what step 1 wrote. Each row's logits equal its own forward's up to the projections' summation order
     * (the GEMMs see 7 and 3 rows instead of 1 or 5). Families: plain, q/k norms, soft-cap and sliding windows, sinks
     * and experts, latent attention (expanded keys), NTK-alpha rope, GLM's interleaved partial rope, OLMo 2's whole-projection norms.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "qwen3-f32", "gemma2-f32", "gemma3-f32", "qwen2-swa-f32", "gpt-oss-f32", "deepseek-v2-f32", "mixtral-f32",
            "hunyuan-dense-f32", "glm4-f32", "olmo2-f32"})
    void eachPackedRowGetsTheLogitsOfItsOwnSequencesForward(String name) throws Exception {
        CausalLm m = model(name);
        assertTrue(m.packsSequences());
        List<PagedKvCache> fused = prepared(m), apart = prepared(m);
        int[][] step1 = {{11}, {23}, Arrays.copyOfRange(Z, 3, 8)}, step2 = {{31}, {2}, {64}};
        for (int[][] step : List.of(step1, step2)) {
            float[][] got = packed(m, fused, step);
            for (int s = 0, row = 0; s < 3; s++) {
                float[][] own = alone(m, apart.get(s), step[s]);
                for (int i = 0; i < own.length; i++, row++) assertArrayEquals(own[i], got[row], 1e-4f, name + ": sequence " + s + ", token " + i);
            }
            for (int s = 0; s < 3; s++) assertEquals(apart.get(s).length(), fused.get(s).length());
        }
    }

    /**
     * Not packed: a model whose layers carry a state along each sequence (Qwen3-Next's Gated DeltaNet; its pool is
     * refused), and LongRoPE (Phi-3), whose tables for a call depend on the call's longest position.
     */
    @Test
    void recurrentAndLongRopeModelsAreNotPacked() throws Exception {
        assertFalse(model("phi3-f32").packsSequences());
        CausalLm m = model("qwen3-next-f32");
        assertFalse(m.packsSequences());
        KvBlockPool pool = KvBlockPool.forModel(m, DType.F32, 8, 4, 16, 1);
        PagedKvCache cache = PagedKvCache.open(pool, X, 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PackedKvCache(List.of(cache), new int[]{1}));
        assertTrue(e.getMessage().contains("linear-attention"), e.getMessage());
    }

    @Test
    void spansAndRowsAreChecked() throws Exception {
        CausalLm m = model("llama-f32");
        List<PagedKvCache> caches = prepared(m);
        assertThrows(IllegalArgumentException.class, () -> new PackedKvCache(caches, new int[]{1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new PackedKvCache(caches, new int[]{1, 0, 2}));
        PackedKvCache packed = new PackedKvCache(caches, new int[]{1, 1, 2});
        assertEquals(4, packed.rows());
        assertThrows(IllegalStateException.class, packed::length);
        // [B, T] with T > 1 is not a packed batch
        try (var g = GradMode.noGrad()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(new DecoderInput(ids(new long[]{1, 2, 3, 4}, 2, 2), ids(new long[]{7, 8, 6, 7}, 2, 2), null, packed, false), 1));
            assertTrue(e.getMessage().contains("one token a row"), e.getMessage());
        }
    }
}
