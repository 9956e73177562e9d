package io.jswift.serve.engine;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.BatchKvCache;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.decoder.PackedKvCache;
import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.vision.VisionInput;
import io.jswift.nn.lora.MultiLora;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The forward passes of the engine. Step: a whole engine step as one forward (decode rows and text prompt chunks
 * packed, see {@link #step}) for a model that {@link CausalLm#packsSequences packs sequences}. Otherwise, and for a
 * chunk of a prompt with images: prefill, one sequence's prompt chunk [1, T] into a cache of its own, and decode, the
 * last token of every running sequence as one batch [B, 1] (each linear layer reads its weights once for all rows;
 * attention runs per row over that row's cache, see {@link BatchKvCache}). Only the last position's logits come back.
 * With {@link MultiLora} adapters, each forward is routed: every row uses its sequence's adapter (or none).
 * Called with gradients off, on the scheduler thread only.
 */
final class ModelRunner {
    /** -Djswift.serve.fused=false: every step as the decode batch and each chunk's forward (the A/B baseline of the fused step). */
    private static final boolean FUSED = !"false".equals(System.getProperty("jswift.serve.fused"));

    private final CausalLm model;
    private final MultiLora adapters; // null: the base model only
    private final EngineObserver observer;

    ModelRunner(CausalLm model, MultiLora adapters, EngineObserver observer) {
        this.model = model;
        this.adapters = adapters;
        this.observer = observer;
    }

    /** Whether {@link #step} runs this model's engine steps (else decode and prefill do, one forward each). */
    boolean packs() { return FUSED && model.packsSequences(); }

    /**
     * One forward for a whole engine step (Sarathi-Serve's hybrid batch; vLLM V1's flattened batch): every decode row's
     * last token and every chunk's next prompt tokens packed as the rows [N, 1] of one forward over a
     * {@link PackedKvCache}, so each weight is read once per step and a chunk's rows share the decode rows' GEMMs;
     * attention runs per sequence over its own blocks. The sequences go in ordered by adapter (stable, within one
     * adapter the decode rows first): each adapter's rows are one LoRA segment, each adapter's decode rows one paged
     * attention call. Only the rows that need a token reach the LM head: each decode row, and the last row of a chunk
     * that completes its prompt. Returns the logits of {@code decodes} in order, then of {@code chunks} in order (null
     * for a chunk whose prompt goes on); the chunks' sequences advance as {@link #prefill} advances them.
     */
    float[][] step(List<RunningSequence> decodes, List<PromptChunk> chunks) {
        int d = decodes.size(), m = d + chunks.size();
        Integer[] order = new Integer[m];
        for (int e = 0; e < m; e++) order[e] = e;
        Arrays.sort(order, Comparator.<Integer>comparingInt(e -> sequence(decodes, chunks, e).adapter).thenComparingInt(e -> e < d ? 0 : 1));
        int rows = d;
        for (PromptChunk c : chunks) rows += c.tokens();
        long[] ids = new long[rows], pos = new long[rows], lastRow = new long[m];
        int[] rowAdapters = new int[rows], spans = new int[m];
        List<PagedKvCache> caches = new ArrayList<>(m);
        int wanted = 0;
        for (int k = 0, row = 0; k < m; k++) {
            int e = order[k];
            RunningSequence s = sequence(decodes, chunks, e);
            int n = e < d ? 1 : chunks.get(e - d).tokens();
            if (e < d) {
                ids[row] = s.state.lastToken();
                pos[row] = s.state.length() - 1; // the last sampled token is not cached yet
            } else {
                int[] prompt = s.request.prompt();
                for (int i = 0; i < n; i++) {
                    ids[row + i] = prompt[s.prefilled + i];
                    pos[row + i] = s.prefilled + i;
                }
            }
            Arrays.fill(rowAdapters, row, row + n, s.adapter);
            spans[k] = n;
            caches.add(s.cache);
            boolean needsToken = e < d || chunks.get(e - d).completesPrompt();
            lastRow[e] = needsToken ? row + n - 1 : -1;
            if (needsToken) wanted++;
            row += n;
        }
        long[] select = new long[wanted];     // the rows that need a token, in row order
        int[] selectAdapters = new int[wanted];
        for (int k = 0, j = 0; k < m; k++) {
            if (lastRow[order[k]] < 0) continue;
            select[j] = lastRow[order[k]];
            selectAdapters[j++] = rowAdapters[(int) lastRow[order[k]]];
        }
        Variable hidden; // [N, 1, C]
        try (var r = route(rowAdapters)) {
            hidden = model.hiddenStates(new DecoderInput(Tensor.ofLongs(ids, rows, 1), Tensor.ofLongs(pos, rows, 1), null,
                    new PackedKvCache(caches, spans), false).to(model.device()));
        }
        for (PromptChunk c : chunks) {
            RunningSequence s = c.seq();
            s.prefilled += c.tokens();
            s.cache.registerPrompt(s.request.prompt(), s.prefilled);
        }
        float[][] out = new float[m][];
        if (wanted == 0) return out;
        Tensor logits; // an lm_head with adapters sees the selected rows: routed again
        try (var r = route(selectAdapters)) {
            logits = model.logitsFromHidden(Views.indexSelect(hidden, 0, Tensor.ofLongs(select, wanted).to(model.device()))).value();
        }
        float[][] selected = lastRows(logits);
        for (int k = 0, j = 0; k < m; k++) if (lastRow[order[k]] >= 0) out[order[k]] = selected[j++];
        return out;
    }

    private static RunningSequence sequence(List<RunningSequence> decodes, List<PromptChunk> chunks, int e) {
        return e < decodes.size() ? decodes.get(e) : chunks.get(e - decodes.size()).seq();
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
