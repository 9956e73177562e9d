package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.config.MlaConfig;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static io.jswift.models.decoder.GreedyRuns.argmax;
import static io.jswift.models.decoder.GreedyRuns.last;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek's latent attention in the serving caches (its expanded keys of N + R dims and values of V, unpadded): a paged cache and a
 * batched step over per-sequence caches of different lengths give what one dense cache per sequence gives.
 */
class LatentAttentionCacheTest {
    private static CausalLm load(String name) throws Exception {
        Path dir = Path.of(LatentAttentionCacheTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v2-f32", "deepseek-v3-f32"})
    void pagedAndBatchedDecodeEqualTheDenseCache(String name) throws Exception {
        CausalLm m = load(name);
        List<long[]> prompts = List.of(new long[]{5, 17, 99, 3, 42, 8, 77}, new long[]{11, 12}, new long[]{120, 4, 66, 9});
        int steps = 3;
        try (var g = GradMode.noGrad()) {
            List<float[][]> alone = new ArrayList<>();
            for (long[] p : prompts) {
                KvCache c = m.newCache(1, p.length + steps);
                float[][] rows = new float[steps + 1][];
                rows[0] = last(m.forward(new DecoderInput(Tensor.ofLongs(p, 1, p.length), null, null, c, false), 1).value(), 0);
                for (int s = 0; s < steps; s++) {
                    rows[s + 1] = last(m.forward(new DecoderInput(Tensor.ofLongs(new long[]{argmax(rows[s])}, 1, 1), null, null, c, false), 1).value(), 0);
                }
                alone.add(rows);
            }
            // paged: the first prompt in blocks of 3
            KvBlockPool pool = KvBlockPool.forModel(m, 8, 3, 16);
            PagedKvCache paged = PagedKvCache.open(pool, toInts(prompts.get(0)), 16);
            float[] logits = last(m.forward(new DecoderInput(Tensor.ofLongs(prompts.get(0), 1, 7), null, null, paged, false), 1).value(), 0);
            assertArrayEquals(alone.get(0)[0], logits, 1e-5f, name + " paged prefill");
            for (int s = 0; s < steps; s++) {
                logits = last(m.forward(new DecoderInput(Tensor.ofLongs(new long[]{argmax(logits)}, 1, 1), null, null, paged, false), 1).value(), 0);
                assertArrayEquals(alone.get(0)[s + 1], logits, 1e-5f, name + " paged step " + s);
            }
            paged.release();
            // batched: each row prefilled into its own cache, then one forward per step over all rows
            List<KvCache> caches = new ArrayList<>();
            long[] next = new long[prompts.size()], position = new long[prompts.size()];
            for (int r = 0; r < prompts.size(); r++) {
                long[] p = prompts.get(r);
                caches.add(m.newCache(1, p.length + steps));
                next[r] = argmax(last(m.forward(new DecoderInput(Tensor.ofLongs(p, 1, p.length), null, null, caches.get(r), false), 1).value(), 0));
                position[r] = p.length;
            }
            BatchKvCache batch = new BatchKvCache(caches);
            for (int s = 0; s < steps; s++) {
                Tensor out = m.forward(new DecoderInput(Tensor.ofLongs(next, next.length, 1), Tensor.ofLongs(position, position.length, 1), null, batch, false), 1).value();
                for (int r = 0; r < next.length; r++) {
                    float[] row = last(out, r);
                    assertArrayEquals(alone.get(r)[s + 1], row, 1e-5f, name + " batched row " + r + " step " + s);
                    next[r] = argmax(row);
                    position[r]++;
                }
            }
        }
    }

    /**
     * No zero padding: the server's pool holds expanded keys of qk_nope + qk_rope dims and values of v_head_dim (V2's
     * fixture: 16 / 24, V3's: 24 / 16); newCache's dense cache holds them too (the default), and newLatentCache holds the
     * compressed latent, L + R per position with the value a view of the key's first L dims.
     */
    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v2-f32", "deepseek-v3-f32"})
    void cachesHoldTheirOwnHeadDims(String name) throws Exception {
        CausalLm m = load(name);
        MlaConfig mla = m.config().attention().mla();
        int h = m.config().attention().numHeads(), qk = mla.qkHeadDim(), v = mla.vHeadDim(), rank = mla.kvLoraRank(), r = mla.qkRopeHeadDim();
        assertNotEquals(qk, v, name + ": the fixture must have v_head_dim != qk_head_dim");
        KvCache dense = m.newCache(1, 4);
        assertFalse(dense.latent(), "newCache of a DeepSeek model holds expanded keys and values unless -Djswift.mla_cache=latent");
        Tensor[] expanded = ((DenseKvCache) dense).append(0, Tensor.zeros(DType.F32, 1, h, 1, qk), Tensor.zeros(DType.F32, 1, h, 1, v));
        assertArrayEquals(new int[]{1, h, 1, qk}, expanded[0].shape());
        assertArrayEquals(new int[]{1, h, 1, v}, expanded[1].shape());
        KvCache cache = ((DecoderLm) m).newLatentCache(1, 4);
        assertTrue(cache.latent(), "newLatentCache holds the latent");
        Tensor key = Tensor.of(IntStream.range(0, rank + r).asDoubleStream().toArray(), 1, 1, 1, rank + r).to(DType.F32);
        Tensor[] kv = ((DenseKvCache) cache).append(0, key, key.narrow(3, 0, rank));
        assertArrayEquals(new int[]{1, 1, 1, rank + r}, kv[0].shape());
        assertArrayEquals(new int[]{1, 1, 1, rank}, kv[1].shape());
        assertArrayEquals(key.narrow(3, 0, rank).contiguous().toFloatArray(), kv[1].contiguous().toFloatArray());
        KvBlockPool pool = KvBlockPool.forModel(m, 2, 3, 6);
        assertArrayEquals(new int[]{2, h, 3, qk}, pool.keys(0).shape());
        assertArrayEquals(new int[]{2, h, 3, v}, pool.values(0).shape());
    }

    /**
     * The absorbed attention over the latent cache (q·W_UK against the latent, W_UV after attention) gives the logits of
     * the expanded per-head cache: a prefill, a chunk of two tokens, then single-token steps.
     */
    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v2-f32", "deepseek-v3-f32"})
    void latentCacheDecodesAsTheExpandedCache(String name) throws Exception {
        CausalLm m = load(name);
        var a = m.config().attention();
        long[] prompt = {5, 17, 99, 3, 42, 8, 77};
        try (var g = GradMode.noGrad()) {
            KvCache latent = ((DecoderLm) m).newLatentCache(1, 16);
            KvCache expanded = new DenseKvCache(Backends.forDevice(m.device()), m.config().numLayers(), 1, a.numKvHeads(), a.headDim(),
                    a.valueHeadDim(), 16, l -> false);
            assertTrue(latent.latent() && !expanded.latent());
            List<long[]> inputs = List.of(prompt, new long[]{11, 12}, new long[]{120}, new long[]{4}, new long[]{66});
            for (long[] ids : inputs) {
                Tensor want = m.forward(new DecoderInput(Tensor.ofLongs(ids, 1, ids.length), null, null, expanded, false), ids.length).value();
                Tensor got = m.forward(new DecoderInput(Tensor.ofLongs(ids, 1, ids.length), null, null, latent, false), ids.length).value();
                assertArrayEquals(want.contiguous().toFloatArray(), got.contiguous().toFloatArray(), 2e-5f, name + " after " + ids.length + " tokens");
            }
        }
    }

    @Test
    void theCacheChoiceIsOneOfTwoWords() {
        assertFalse(MlaCacheChoice.latentRequested("expanded"));
        assertTrue(MlaCacheChoice.latentRequested("latent"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlaCacheChoice.latentRequested("compressed"));
        assertEquals("-Djswift.mla_cache=compressed: expected expanded or latent", e.getMessage());
    }

    private static int[] toInts(long[] p) {
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) out[i] = (int) p[i];
        return out;
    }
}
