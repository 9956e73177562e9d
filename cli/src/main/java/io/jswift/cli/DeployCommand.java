package io.jswift.cli;

import io.jswift.models.CausalLm;
import io.jswift.models.adapter.ServedAdapters;
import io.jswift.models.generate.GenerationSession;
import io.jswift.serve.OpenAiServer;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.Engine;
import io.jswift.serve.engine.EngineConfig;
import io.jswift.nn.lora.MultiLora;
import io.jswift.tensor.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jswift deploy}: serves a causal LM behind an OpenAI-compatible HTTP API (see {@link OpenAiServer}) until
 * the process is stopped. Flag names follow ms-swift / vLLM.
 */
@Command(name = "deploy", description = "Serve a model behind an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models, /health, /metrics).")
final class DeployCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Hugging Face model directory (default with --adapters: the adapter's base model).") Path model;
    @Option(names = "--adapters", arity = "1..*", description = "LoRA adapters as NAME=DIR or DIR (served under its folder name), each a model id of its own beside the base model; "
            + "requests for different adapters share one batch (multi-LoRA).") List<String> adapters;
    @Option(names = "--host", defaultValue = "127.0.0.1") String host;
    @Option(names = "--port", defaultValue = "8000") int port;
    @Option(names = "--served_model_name", description = "Model id clients ask for (default: the model folder's name).") String servedModelName;
    @Option(names = "--api_key", description = "Require Authorization: Bearer KEY on /v1/* routes.") String apiKey;
    @Option(names = "--max_num_seqs", defaultValue = "8", description = "Sequences decoded together in one batch.") int maxNumSeqs;
    @Option(names = "--max_waiting_seqs", defaultValue = "64", description = "Sequences queued beyond the batch; more get HTTP 429.") int maxWaiting;
    @Option(names = "--max_model_len", description = "Prompt + reply tokens of one sequence (default: the model's max_position_embeddings).") Integer maxModelLen;
    @Option(names = "--max_num_batched_tokens", defaultValue = "" + EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS,
            description = "Tokens of one engine step (vLLM's): every running sequence's decode token first, then prompt chunks in what is left "
                    + "(stall-free chunked prefill); at least --max_num_seqs; 0: no bound, whole prompts.") int maxNumBatchedTokens;
    @Option(names = "--block_size", defaultValue = "" + EngineConfig.DEFAULT_BLOCK_SIZE, description = "Positions per KV-cache block.") int blockSize;
    @Option(names = "--kv_cache_blocks", defaultValue = "0",
            description = "KV-cache blocks (the bound on KV memory; 0: room for max_num_seqs sequences of max_model_len, at most 2 GiB).") int kvBlocks;
    @Option(names = "--kv_cache_dtype", defaultValue = "auto", description = "Dtype of the KV-cache blocks: auto (the model's: bfloat16 for a bf16 model, "
            + "float16 for an f16 model, else float32), bfloat16, float16 or float32 (vLLM's --kv-cache-dtype; fp8 is refused).") String kvCacheDtype;
    @Option(names = "--max_new_tokens", description = "Reply length when a request gives no max_tokens (default: what max_model_len leaves).") Integer maxNewTokens;
    @Option(names = "--device", defaultValue = "cpu", description = DeviceOption.DESCRIPTION) String device;
    @Option(names = "--allowed_local_media_path", description = "Directory whose image files chat requests may name (paths, file:// URLs); "
            + "default: none, images come as data: URLs (vLLM's --allowed-local-media-path).") Path allowedLocalMediaPath;
    @Mixin QuantOptions quant;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        Device dev = DeviceOption.open(device);
        Map<String, Path> served = adapters();
        model = AdapterBase.modelOrBase(model, served.isEmpty() ? null : served.values().iterator().next());
        CausalLm lm = ModelToRun.causalLm(model, null, quant, dev, "deploy serves");
        MultiLora loras = served.isEmpty() ? null : ServedAdapters.load(lm, served);
        int positions = lm.config().rope().maxPositionEmbeddings();
        int maxLen = maxModelLen == null ? positions : maxModelLen;
        if (maxLen > positions) {
            throw new IllegalArgumentException("--max_model_len " + maxLen + " exceeds the model's max_position_embeddings (" + positions + ")");
        }
        String id = servedModelName != null ? servedModelName : model.toAbsolutePath().normalize().getFileName().toString();
        ServeConfig config = new ServeConfig(host, port, List.of(id), apiKey, maxNewTokens == null ? 0 : maxNewTokens,
                ServeConfig.DEFAULT_MAX_BODY_BYTES, new EngineConfig(maxNumSeqs, maxWaiting, maxLen, maxNumBatchedTokens, blockSize, kvBlocks,
                        EngineConfig.kvCacheDtype(kvCacheDtype)),
                allowedLocalMediaPath);
        OpenAiServer server = new OpenAiServer(GenerationSession.open(model, lm), config, loras).start();
        // SIGTERM / Ctrl-C: stop taking requests, let running and queued ones finish, then exit
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                boolean drained = server.shutdown(DRAIN);
                System.err.println("jswift deploy: stopped" + (drained ? " after the last request finished" : " (requests still running after " + DRAIN.toSeconds() + " s were cut)"));
            } catch (Exception e) {
                System.err.println("jswift deploy: error while stopping: " + e);
            }
        }, "jswift-drain"));
        System.out.println("jswift deploy: serving '" + id + "'" + (served.isEmpty() ? "" : " and adapters " + served.keySet()) + " on http://" + host + ":" + server.port() + "/v1 (max_num_seqs "
                + maxNumSeqs + ", max_model_len " + maxLen + (apiKey != null ? ", API key required" : "") + "; " + kvCacheLine(server.engine()) + ")");
        server.join();
        return 0;
    }

    /** The KV cache's memory as the start line states it: blocks, and the recurrent-state slots counted in the same bound. */
    static String kvCacheLine(Engine engine) {
        String line = "KV cache " + engine.kvBlocksTotal() + " blocks of " + engine.config().blockSize() + " positions in "
                + engine.kvCacheDtype().name().toLowerCase(Locale.ROOT) + ", " + mib(engine.kvBlockBytes());
        if (engine.stateSlotsTotal() == 0) return line;
        return line + " + recurrent state " + engine.stateSlotsTotal() + " slots, " + mib(engine.stateSlotBytes()) + " = "
                + mib(engine.kvBlockBytes() + engine.stateSlotBytes());
    }

    private static String mib(long bytes) { return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0); }

    /** How long SIGTERM waits for running and queued requests. */
    private static final Duration DRAIN = Duration.ofSeconds(60);

    /** --adapters NAME=DIR or DIR, by name in the order given (which numbers them). */
    private Map<String, Path> adapters() {
        Map<String, Path> parsed = new LinkedHashMap<>();
        if (adapters == null) return parsed;
        for (String a : adapters) {
            int eq = a.indexOf('=');
            Path dir = Path.of(eq >= 0 ? a.substring(eq + 1) : a);
            String name = eq >= 0 ? a.substring(0, eq) : dir.toAbsolutePath().normalize().getFileName().toString();
            if (name.isEmpty()) throw new IllegalArgumentException("--adapters " + a + ": the name before '=' is empty");
            if (parsed.put(name, dir) != null) throw new IllegalArgumentException("--adapters: two adapters are named '" + name + "': give each its own NAME=DIR");
        }
        return parsed;
    }
}
