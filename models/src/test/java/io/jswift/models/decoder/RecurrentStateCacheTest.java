package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jswift.models.decoder.GreedyRuns.argmax;
import static io.jswift.models.decoder.GreedyRuns.ids;
import static io.jswift.models.decoder.GreedyRuns.last;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen3-Next (two Gated DeltaNet layers, then full attention) in the server's caches: each paged cache holds a
 * recurrent-state slot of its pool, prompts are prefilled in chunks that continue the conv window and the delta-rule
 * state, and ragged rows decode in one batched step, each row continuing its own state: the dense cache's logits
 * (generate's path) for every row. Slots come back on release; prompts share no prefix blocks.
 */
class RecurrentStateCacheTest {
    /**
     * Logits of magnitude ~5 differ by up to ~1e-4 (2e-5 relative) from the dense cache's: a prompt prefilled in chunks of
     * 3 runs the delta rule token by token and the conv per chunk, the dense cache's whole prompt runs it in one chunk
     * (a different summation order), and the batched projections sum in their own order.
     */
    private static final float TOL = 5e-4f;
    private static CausalLm model() throws Exception {
        return ((LoadedModel.CausalLm) ModelLoader.load(TinyChatModels.checkpoint("qwen3-next-f32"), false)).model();
    }

    @Test
    void chunkedPrefillAndBatchedDecodeOfRaggedRowsEqualEachRowAloneWithTheDenseCache() throws Exception {
        CausalLm m = model();
        List<int[]> prompts = List.of(new int[]{5, 17, 99, 3, 42, 8, 77, 1, 2, 3, 4}, new int[]{11, 12}, new int[]{120, 4, 66, 9, 30, 31, 32},
                new int[]{5, 17, 99, 3, 42, 8, 60});
        int steps = 5, chunk = 3;
        KvBlockPool pool = KvBlockPool.forModel(m, DType.F32, 32, 4, 32, prompts.size());
        try (var g = GradMode.noGrad()) {
            List<GreedyRuns.Alone> alone = new ArrayList<>();
            for (int[] p : prompts) alone.add(GreedyRuns.alone(m, p, steps));
            List<KvCache> caches = new ArrayList<>();
            int[] next = new int[prompts.size()], length = new int[prompts.size()];
            for (int r = 0; r < prompts.size(); r++) {
                int[] p = prompts.get(r);
                PagedKvCache c = PagedKvCache.open(pool, p, p.length + steps + 1);
                assertEquals(0, c.length(), "no prefix is shared: the last prompt starts as the first one, yet prefills from 0");
                caches.add(c);
                float[] logits = null;
                for (int from = 0; from < p.length; from += chunk) { // chunked prefill: each chunk continues the state
                    logits = last(m.forward(new DecoderInput(ids(Arrays.copyOfRange(p, from, Math.min(p.length, from + chunk))), null, null, c, false), 1).value(), 0);
                }
                c.registerPrompt(p, p.length);
                assertArrayEquals(alone.get(r).logits()[0], logits, TOL, "row " + r + " after its chunked prefill");
                next[r] = argmax(logits);
                length[r] = p.length;
            }
            assertEquals(0, pool.stateSlotsAvailable());
            BatchKvCache batch = new BatchKvCache(caches);
            GreedyRuns.decodeTogether(m, batch, alone, next, length, steps, TOL);
            caches.forEach(c -> ((PagedKvCache) c).release());
            assertEquals(prompts.size(), pool.stateSlotsAvailable());
            assertEquals(0, pool.used());
        }
    }

    @Test
    void slotsAreTakenPerOpenCacheAndComeBackZeroed() throws Exception {
        CausalLm m = model();
        assertFalse(KvBlockPool.forModel(m, 8, 4, 32).sharesPrefixes());
        // one full-attention layer of three holds keys and values; the two linear ones a slot per sequence
        long full = 2L * m.config().attention().numKvHeads() * m.config().attention().headDim() * 4 * 4;
        assertEquals(full, KvBlockPool.bytesPerBlock(m, DType.F32, 4));
        var l = m.config().linearAttention();
        assertEquals(2L * 4 * ((l.convKernel() - 1L) * l.convChannels() + (long) l.numValueHeads() * l.keyHeadDim() * l.valueHeadDim()),
                KvBlockPool.bytesPerStateSlot(m));
        KvBlockPool pool = KvBlockPool.forModel(m, DType.F32, 16, 4, 32, 2);
        int[] prompt = {7, 8, 9, 10, 11, 12, 13, 14, 15};
        float[] first;
        try (var g = GradMode.noGrad()) {
            PagedKvCache a = PagedKvCache.open(pool, prompt, 12), b = PagedKvCache.open(pool, prompt, 12);
            assertEquals(0, pool.stateSlotsAvailable());
            IllegalStateException full2 = assertThrows(IllegalStateException.class, () -> PagedKvCache.open(pool, prompt, 12));
            assertTrue(full2.getMessage().contains("recurrent-state slots"), full2.getMessage());
            first = last(m.forward(new DecoderInput(ids(prompt), null, null, a, false), 1).value(), 0);
            a.release();
            a.release(); // idempotent: the slot is given back once
            assertEquals(1, pool.stateSlotsAvailable());
            b.release();
            // a slot that held a's state starts from zero for the next sequence: the same prompt, the same logits
            PagedKvCache c = PagedKvCache.open(pool, prompt, 12);
            assertArrayEquals(first, last(m.forward(new DecoderInput(ids(prompt), null, null, c, false), 1).value(), 0));
            c.release();
        }
        assertEquals(2, pool.stateSlotsAvailable());
    }
}
