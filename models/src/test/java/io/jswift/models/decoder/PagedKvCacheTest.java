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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Paged keys and values give the dense cache's logits; full prompt blocks are shared by a later prompt with that prefix. */
class PagedKvCacheTest {
    private static CausalLm model() throws Exception {
        return model("qwen3-f32");
    }

    private static CausalLm model(String name) throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(TinyChatModels.checkpoint(name), false)).model();
    }

    /** Logits after the prompt and after each of {@code steps} greedy tokens (the first {@code skip} prompt tokens already cached). */
    private static float[][] run(CausalLm m, KvCache cache, int[] prompt, int skip, int steps) {
        float[][] out = new float[steps + 1][];
        try (var g = GradMode.noGrad()) {
            out[0] = last(m.forward(new DecoderInput(ids(Arrays.copyOfRange(prompt, skip, prompt.length)), null, null, cache, false), 1).value());
            for (int s = 0; s < steps; s++) out[s + 1] = last(m.forward(new DecoderInput(ids(new int[]{argmax(out[s])}), null, null, cache, false), 1).value());
        }
        return out;
    }

    /** Logits after the prompt and after each of {@code tokens} fed in turn (teacher forcing: the same inputs whatever the logits). */
    private static float[][] forced(CausalLm m, KvCache cache, int[] prompt, int[] tokens) {
        float[][] out = new float[tokens.length + 1][];
        try (var g = GradMode.noGrad()) {
            out[0] = last(m.forward(new DecoderInput(ids(prompt), null, null, cache, false), 1).value());
            for (int s = 0; s < tokens.length; s++) out[s + 1] = last(m.forward(new DecoderInput(ids(new int[]{tokens[s]}), null, null, cache, false), 1).value());
        }
        return out;
    }

    /**
     * kv_cache_dtype: "auto" keeps a bf16 model's keys and values in a bf16 pool (they are bf16 already: the dense cache's
     * logits up to the kernels' summation order), an f32 model's in an f32 pool; an f32 model in a bf16 pool gets its
     * keys and values rounded to bf16, its logits within bf16 rounding of the dense cache's. Half the bytes per block.
     */
    @Test
    void bf16PoolGivesTheDenseCachesLogitsWithinBf16Rounding() throws Exception {
        int[] prompt = {5, 17, 99, 3, 42, 8, 77, 1, 2, 3, 4, 5, 6};
        int[] tokens = {9, 61, 4, 100, 13, 7};
        CausalLm bf16Model = model("qwen3-bf16"), f32Model = model();
        assertEquals(DType.BF16, KvBlockPool.autoDtype(bf16Model));
        assertEquals(DType.F32, KvBlockPool.autoDtype(f32Model));
        assertEquals(KvBlockPool.bytesPerBlock(f32Model, DType.F32, 16), 2 * KvBlockPool.bytesPerBlock(f32Model, DType.BF16, 16));

        KvBlockPool auto = KvBlockPool.forModel(bf16Model, 10, 4, 32);
        assertEquals(DType.BF16, auto.dtype());
        PagedKvCache cache = PagedKvCache.open(auto, prompt, 20);
        float[][] dense = forced(bf16Model, bf16Model.newCache(1, 20), prompt, tokens), paged = forced(bf16Model, cache, prompt, tokens);
        for (int s = 0; s < dense.length; s++) assertArrayEquals(dense[s], paged[s], 2e-2f, "bf16 model, step " + s);
        cache.release();

        KvBlockPool rounded = KvBlockPool.forModel(f32Model, DType.BF16, 10, 4, 32);
        float[][] exact = forced(f32Model, f32Model.newCache(1, 20), prompt, tokens);
        float[][] inBf16 = forced(f32Model, PagedKvCache.open(rounded, prompt, 20), prompt, tokens);
        double worst = 0;
        for (int s = 0; s < exact.length; s++) {
            assertArrayEquals(exact[s], inBf16[s], 5e-2f, "f32 model in a bf16 pool, step " + s);
            for (int i = 0; i < exact[s].length; i++) worst = Math.max(worst, Math.abs(exact[s][i] - inBf16[s][i]));
        }
        assertTrue(worst > 0, "the bf16 pool rounds the f32 model's keys and values");
    }

    /** gpt-oss-f32: attention sinks and a sliding layer (window 4) that the 13 positions pass, read from the blocks. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen3-f32", "gpt-oss-f32"})
    void pagedDecodeEqualsDenseAndBlocksComeBack(String name) throws Exception {
        CausalLm m = model(name);
        int[] prompt = {5, 17, 99, 3, 42, 8, 77};
        float[][] dense = run(m, m.newCache(1, 20), prompt, 0, 6);
        KvBlockPool pool = KvBlockPool.forModel(m, 8, 3, 32);
        PagedKvCache paged = PagedKvCache.open(pool, prompt, 20);
        float[][] pagedLogits = run(m, paged, prompt, 0, 6);
        for (int s = 0; s < dense.length; s++) assertArrayEquals(dense[s], pagedLogits[s], 1e-5f, "step " + s);
        assertEquals(5, paged.blockCount()); // 13 positions in blocks of 3
        assertEquals(5, pool.used());
        paged.release();
        paged.release(); // idempotent
        assertEquals(0, pool.used());
        assertEquals(8, pool.available());
    }

    @Test
    void aLaterPromptWithTheSamePrefixSharesItsFullBlocks() throws Exception {
        CausalLm m = model();
        KvBlockPool pool = KvBlockPool.forModel(m, 12, 3, 32);
        int[] first = {5, 17, 99, 3, 42, 8, 77, 1};
        int[] second = {5, 17, 99, 3, 42, 8, 60, 61, 62};
        PagedKvCache a = PagedKvCache.open(pool, first, 12);
        run(m, a, first, 0, 1);
        a.registerPrompt(first, first.length); // blocks [5 17 99] [3 42 8] are full prompt blocks
        PagedKvCache b = PagedKvCache.open(pool, second, 16);
        assertEquals(6, b.length()); // both shared: prefill starts at position 6
        assertEquals(pool.blocksFor(first.length + 1), pool.used()); // a's 3 blocks, two of them now b's too: nothing new
        float[][] shared = run(m, b, second, 6, 4);
        float[][] alone = run(m, m.newCache(1, 16), second, 0, 4);
        for (int s = 0; s < alone.length; s++) assertArrayEquals(alone[s], shared[s], 1e-5f, "step " + s);

        // the shared blocks outlive a; once b is gone too they stay cached, until memory is needed
        a.release();
        b.release();
        assertEquals(0, pool.used());
        PagedKvCache c = PagedKvCache.open(pool, second, 12);
        assertEquals(6, c.length());
        c.release();
        int[] other = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
        PagedKvCache big = PagedKvCache.open(pool, other, 32);
        run(m, big, other, 0, 0); // 30 positions: the 10 free blocks; the 2 cached ones are kept while others are free
        PagedKvCache again = PagedKvCache.open(pool, second, 12);
        assertEquals(6, again.length());
        again.release();
        PagedKvCache small = PagedKvCache.open(pool, new int[]{9, 9, 9}, 4);
        run(m, small, new int[]{9, 9, 9}, 0, 0); // needs a block: evicts the least recently released cached one
        assertEquals(0, PagedKvCache.open(pool, second, 12).length(), "an evicted first block breaks the shared prefix");
        assertThrows(IllegalStateException.class, () -> run(m, PagedKvCache.open(pool, other, 32), other, 0, 0)); // pool exhausted
        assertThrows(IllegalArgumentException.class, () -> PagedKvCache.open(pool, other, 40));
        List.of(big).forEach(PagedKvCache::release);
    }

    private static Tensor ids(int[] p) {
        long[] x = new long[p.length];
        for (int i = 0; i < p.length; i++) x[i] = p[i];
        return Tensor.ofLongs(x, 1, p.length);
    }

    private static float[] last(Tensor logits) {
        return logits.select(0, 0).select(0, logits.size(1) - 1).toFloatArray();
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
