package io.jswift.models.decoder;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jswift.models.decoder.GreedyRuns.argmax;
import static io.jswift.models.decoder.GreedyRuns.ids;
import static io.jswift.models.decoder.GreedyRuns.last;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Sequences of different lengths, each with its own cache, decoded in one batched step: each row as if alone (with a
 * dense cache). Dense rows attend row by row; paged rows (blocks of 3 from one pool, the last prompt sharing the first
 * one's first block) attend in one paged call that reads the blocks in place.
 */
class BatchKvCacheTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void batchedDecodeOfRaggedRowsEqualsEachRowAlone(boolean paged) throws Exception {
        CausalLm m = ((LoadedModel.CausalLm) ModelLoader.load(TinyChatModels.checkpoint("qwen3-f32"), false)).model();
        List<int[]> prompts = List.of(new int[]{5, 17, 99, 3, 42, 8, 77}, new int[]{11, 12}, new int[]{120, 4, 66, 9}, new int[]{5, 17, 99, 3, 50});
        KvBlockPool pool = KvBlockPool.forModel(m, 32, 3, 16);
        int steps = 5;
        try (var g = GradMode.noGrad()) {
            // alone: prefill, then one token at a time, each row with its own batch-1 cache
            List<GreedyRuns.Alone> alone = new ArrayList<>();
            for (int[] p : prompts) alone.add(GreedyRuns.alone(m, p, steps));
            // together: the same prefills, then every step one forward over all rows
            List<KvCache> caches = new ArrayList<>();
            int[] next = new int[prompts.size()], length = new int[prompts.size()], cachedAt = new int[prompts.size()];
            for (int r = 0; r < prompts.size(); r++) {
                int[] p = prompts.get(r);
                KvCache c = paged ? PagedKvCache.open(pool, p, p.length + steps + 1) : m.newCache(1, p.length + steps + 1);
                caches.add(c);
                int cached = cachedAt[r] = c.length(); // the last paged prompt finds the first one's block [5 17 99]
                next[r] = argmax(last(m.forward(new DecoderInput(ids(Arrays.copyOfRange(p, cached, p.length)), null, null, c, false), 1).value(), 0));
                if (c instanceof PagedKvCache pc) pc.registerPrompt(p, p.length);
                length[r] = p.length;
            }
            if (paged) assertEquals(3, cachedAt[3], "the last prompt shares the first one's first block");
            BatchKvCache batch = new BatchKvCache(caches);
            GreedyRuns.decodeTogether(m, batch, alone, next, length, steps, 1e-5f);
            for (int r = 0; r < caches.size(); r++) assertEquals(prompts.get(r).length + steps, caches.get(r).length());
            assertThrows(IllegalStateException.class, batch::length); // rows differ: positions must be passed
        }
    }
}
