package io.jswift.serve.engine;

import io.jswift.models.CausalLm;
import io.jswift.models.decoder.BatchKvCache;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The forward passes of the engine. Prefill: one sequence's prompt [1, T] into a cache of its own. Decode: the last
 * token of every running sequence as one batch [B, 1] (each linear layer reads its weights once for all rows;
 * attention runs per row over that row's cache, see {@link BatchKvCache}). Only the last position's logits come back.
 * Called with gradients off, on the scheduler thread only.
 */
final class ModelRunner {
    private final CausalLm model;

    ModelRunner(CausalLm model) {
        this.model = model;
    }

    /**
     * Appends the next {@code n} prompt tokens of {@code s} to its (open) cache, positions continuing from the cache's
     * length; returns the logits after the chunk's last token (the next-token logits once the whole prompt is in).
     */
    float[] prefill(RunningSequence s, int n) {
        int[] prompt = s.request.prompt();
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = prompt[s.prefilled + i];
        Tensor logits = model.forward(new DecoderInput(Tensor.ofLongs(ids, 1, n), null, null, s.cache, false)
                .to(model.device()), 1).value();
        s.prefilled += n;
        s.cache.registerPrompt(prompt, s.prefilled); // its full blocks can now serve later prompts with this prefix
        return lastRows(logits)[0];
    }

    /** One decode step for all of {@code batch}; row r of the result is sequence r's next-token logits. */
    float[][] decode(List<RunningSequence> batch) {
        int b = batch.size();
        long[] ids = new long[b], pos = new long[b];
        List<KvCache> caches = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            RunningSequence s = batch.get(r);
            ids[r] = s.state.lastToken();
            pos[r] = s.state.length() - 1; // the last sampled token is not cached yet
            caches.add(s.cache);
        }
        Tensor logits = model.forward(new DecoderInput(Tensor.ofLongs(ids, b, 1), Tensor.ofLongs(pos, b, 1), null,
                new BatchKvCache(caches), false).to(model.device()), 1).value();
        return lastRows(logits);
    }

    /** logits [B, 1, V] → one float array per row, on the host. */
    private static float[][] lastRows(Tensor logits) {
        Tensor host = logits.to(Device.CPU);
        float[][] rows = new float[host.size(0)][];
        for (int r = 0; r < rows.length; r++) rows[r] = host.select(0, r).reshape(-1).toFloatArray();
        return rows;
    }
}
