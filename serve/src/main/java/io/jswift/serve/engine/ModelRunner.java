package io.jswift.serve.engine;

import io.jswift.models.CausalLm;
import io.jswift.models.decoder.BatchKvCache;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.vision.VisionInput;
import io.jswift.nn.lora.MultiLora;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The forward passes of the engine. Prefill: one sequence's prompt [1, T] into a cache of its own. Decode: the last
 * token of every running sequence as one batch [B, 1] (each linear layer reads its weights once for all rows;
 * attention runs per row over that row's cache, see {@link BatchKvCache}). Only the last position's logits come back.
 * With {@link MultiLora} adapters, each forward is routed: every row uses its sequence's adapter (or none).
 * Called with gradients off, on the scheduler thread only.
 */
final class ModelRunner {
    private final CausalLm model;
    private final MultiLora adapters; // null: the base model only
    private final EngineObserver observer;

    ModelRunner(CausalLm model, MultiLora adapters, EngineObserver observer) {
        this.model = model;
        this.adapters = adapters;
        this.observer = observer;
    }

    /**
     * Appends the next {@code n} prompt tokens of {@code s} to its (open) cache, positions continuing from the cache's
     * length; returns the logits after the chunk's last token (the next-token logits once the whole prompt is in). A
     * prompt with images has them encoded at its first chunk (the vision tower once, the whole prompt's M-RoPE
     * positions), kept with the sequence; each chunk then places the features of its own image tokens.
     */
    float[] prefill(RunningSequence s, int n) {
        int[] prompt = s.request.prompt();
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = prompt[s.prefilled + i];
        Tensor logits;
        try (var r = route(new int[]{s.adapter})) {
            DecoderInput in = new DecoderInput(Tensor.ofLongs(ids, 1, n), null, null, s.cache, false).to(model.device());
            VisionInput images = s.request.images();
            if (images == null) {
                logits = model.forward(in, 1).value();
            } else {
                if (s.encoded == null) {
                    s.encoded = model.encodeImages(longs(prompt), images.to(model.device()));
                    observer.imagesEncoded(images.grids().size());
                }
                logits = model.forwardChunk(in, s.encoded, s.prefilled, 1).value();
            }
        }
        s.prefilled += n;
        s.cache.registerPrompt(prompt, s.prefilled); // its full blocks can now serve later prompts with this prefix (and images)
        return lastRows(logits)[0];
    }

    private static long[] longs(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = ids[i];
        return out;
    }

    /**
     * One decode step for all of {@code batch}; row r of the result is sequence r's next-token logits. The rows go
     * into the forward ordered by adapter (stable), so each adapter's rows are one segment: one pair of low-rank
     * GEMMs per adapter in the batch (Punica's SGMV segments), whatever order the sequences arrived in.
     */
    float[][] decode(List<RunningSequence> batch) {
        int b = batch.size();
        Integer[] order = new Integer[b];
        for (int r = 0; r < b; r++) order[r] = r;
        Arrays.sort(order, Comparator.comparingInt(r -> batch.get(r).adapter));
        long[] ids = new long[b], pos = new long[b];
        int[] rowAdapters = new int[b];
        List<KvCache> caches = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            RunningSequence s = batch.get(order[r]);
            ids[r] = s.state.lastToken();
            pos[r] = s.state.length() - 1; // the last sampled token is not cached yet
            rowAdapters[r] = s.adapter;
            caches.add(s.cache);
        }
        Tensor logits;
        try (var r = route(rowAdapters)) {
            logits = model.forward(new DecoderInput(Tensor.ofLongs(ids, b, 1), Tensor.ofLongs(pos, b, 1), null,
                    new BatchKvCache(caches), false).to(model.device()), 1).value();
        }
        float[][] rows = lastRows(logits), out = new float[b][];
        for (int r = 0; r < b; r++) out[order[r]] = rows[r];
        return out;
    }

    /** Routes the rows to their adapters for one forward; null (no scope) without adapters: nothing to route. */
    private MultiLora.Route route(int[] rowAdapters) {
        return adapters == null ? null : adapters.route(rowAdapters);
    }

    /** logits [B, 1, V] → one float array per row, on the host. */
    private static float[][] lastRows(Tensor logits) {
        Tensor host = logits.to(Device.CPU);
        float[][] rows = new float[host.size(0)][];
        for (int r = 0; r < rows.length; r++) rows[r] = host.select(0, r).reshape(-1).toFloatArray();
        return rows;
    }
}
