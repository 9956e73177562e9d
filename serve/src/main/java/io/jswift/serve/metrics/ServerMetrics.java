package io.jswift.serve.metrics;

import io.jswift.serve.engine.Engine;
import io.jswift.serve.engine.EngineObserver;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters for GET /metrics in the Prometheus text format (version 0.0.4): HTTP requests by route and status,
 * prompt and generated tokens, running and waiting sequences, KV-cache positions and blocks in use, prefix-cache
 * hits, cancelled sequences,
 * time to first token and inter-token latency (names after vLLM's, with a jswift_ prefix).
 */
public final class ServerMetrics implements EngineObserver {
    private static final double[] LATENCY_BOUNDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40};
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder(), generationTokens = new LongAdder();
    private final LongAdder finished = new LongAdder(), cancelled = new LongAdder(), prefixHits = new LongAdder();
    private final LongAdder imagesEncoded = new LongAdder();
    private final Histogram timeToFirstToken = new Histogram(LATENCY_BOUNDS), interTokenLatency = new Histogram(LATENCY_BOUNDS);

    /** Counts one HTTP answer. */
    public void request(String route, int status) {
        requests.computeIfAbsent(route + "\u0000" + status, k -> new LongAdder()).increment();
    }

    @Override
    public void prefilled(int tokens) { promptTokens.add(tokens); }

    @Override
    public void tokenGenerated(long sinceSubmitNanos, long sincePreviousTokenNanos, boolean first) {
        generationTokens.increment();
        if (first) timeToFirstToken.observe(sinceSubmitNanos / 1e9);
        else interTokenLatency.observe(sincePreviousTokenNanos / 1e9);
    }

    @Override
    public void prefixCacheHit(int tokens) { prefixHits.add(tokens); }

    @Override
    public void imagesEncoded(int images) { imagesEncoded.add(images); }

    @Override
    public void sequenceEnded(boolean wasCancelled) {
        (wasCancelled ? cancelled : finished).increment();
    }

    /** The exposition text, with the engine's gauges read now. */
    public String render(Engine engine) {
        StringBuilder out = new StringBuilder();
        out.append("# HELP jswift_http_requests_total HTTP requests answered, by route and status.\n");
        out.append("# TYPE jswift_http_requests_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
            String[] key = e.getKey().split("\u0000");
            out.append("jswift_http_requests_total{route=\"").append(key[0]).append("\",status=\"").append(key[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        counter(out, "jswift_prompt_tokens_total", "Prompt tokens prefilled.", promptTokens.sum());
        counter(out, "jswift_generation_tokens_total", "Tokens generated.", generationTokens.sum());
        counter(out, "jswift_sequences_finished_total", "Sequences that ended (eos, stop, length or error).", finished.sum());
        counter(out, "jswift_sequences_cancelled_total", "Sequences dropped because their client went away.", cancelled.sum());
        gauge(out, "jswift_num_requests_running", "Sequences in the running batch.", engine.running());
        gauge(out, "jswift_num_requests_waiting", "Sequences waiting for a batch slot.", engine.waiting());
        gauge(out, "jswift_kv_cache_tokens", "KV-cache positions held by running sequences.", engine.cachedTokens());
        gauge(out, "jswift_kv_cache_blocks_used", "KV blocks held by running sequences (shared prefix blocks once).", engine.kvBlocksUsed());
        gauge(out, "jswift_kv_cache_blocks_total", "KV blocks in the pool.", engine.kvBlocksTotal());
        gauge(out, "jswift_kv_cache_memory_bytes", "Memory of the KV cache: its blocks plus the recurrent-state slots of linear-attention layers.",
                engine.kvBlockBytes() + engine.stateSlotBytes());
        gauge(out, "jswift_recurrent_state_bytes", "Memory of the recurrent-state slots (Qwen3-Next's linear-attention layers; 0 for other models).",
                engine.stateSlotBytes());
        gauge(out, "jswift_recurrent_state_slots_used", "Recurrent-state slots held by admitted sequences.", engine.stateSlotsUsed());
        gauge(out, "jswift_recurrent_state_slots_total", "Recurrent-state slots (one per sequence of max_num_seqs for a model with linear-attention layers).",
                engine.stateSlotsTotal());
        counter(out, "jswift_prefix_cache_hit_tokens_total", "Prompt tokens found in shared KV blocks (not prefilled again).", prefixHits.sum());
        counter(out, "jswift_images_encoded_total", "Images run through the vision tower (once per request, its choices share them).", imagesEncoded.sum());
        timeToFirstToken.write(out, "jswift_time_to_first_token_seconds", "Time from a request's arrival to its first token.");
        interTokenLatency.write(out, "jswift_inter_token_latency_seconds", "Time between two tokens of a sequence.");
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, long v) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long v) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }
}
