package io.jswift.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Init;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraWeights;
import io.jswift.nn.lora.MultiLora;
import io.jswift.serve.OpenAiServer;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.EngineConfig;
import io.jswift.tensor.Generator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Serving load, measured as a client sees it: an in-process `jswift deploy` server on a loopback port, and for each
 * concurrency C, C streams of /v1/completions started together (PROMPT-token random prompts, OUTPUT tokens each with
 * ignore_eos). Prints aggregate output tokens/s, p50/p99 time to first token and inter-token latency (time between
 * SSE events; a token whose text is held back for UTF-8 merges into the next event).
 *
 * <p>With ADAPTERS &gt; 0, that many random all-linear LoRA adapters of rank RANK are served beside the base model
 * (multi-LoRA), and each concurrency runs twice: every stream on the base model, then stream i on adapter i % ADAPTERS
 * (the multi-LoRA load: 8 adapters across 16 streams), so the two throughputs compare in one process.
 *
 * <p>With {@code -Dpeer=URL} (an OpenAI-style chat completions endpoint, e.g. Jlama's REST server at
 * http://127.0.0.1:8080/chat/completions), each concurrency also runs the same prompts against that server, one row
 * after jswift's: the side-by-side comparison. The peer gets chat requests (the prompt as one user message, max_tokens,
 * temperature 0, stream) and no ignore_eos (Jlama has none: a stream may end early at EOS); its output tokens are
 * counted as content events (Jlama sends one per token and no usage), its prompt tokens are not known ("-").
 * <p>The KV pool is the server's default, {@code --kv_cache_dtype auto} (bf16 blocks for a bf16 model);
 * {@code -Dkv_cache_dtype=float32} (or bfloat16) picks one; {@code -Dmax_num_batched_tokens=N} sets the engine step's
 * token budget (default: the server's, at least the largest concurrency). Column "x c=1": a row's aggregate throughput over the
 * same model's at one stream (the goal: 16 streams >= 6x), when 1 is among the levels.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED [-Dpeer=URL] [-Dkv_cache_dtype=auto] [-Dmax_num_batched_tokens=128] -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.ServeBench MODEL_DIR [1,4,8,16] [PROMPT=128] [OUTPUT=128] [ADAPTERS=0] [RANK=16]</pre>
 */
public final class ServeBench {
    private record Stream1(double ttft, double[] gaps, int promptTokens, int completionTokens) {}

    /** Where a load goes: jswift's /v1/completions (raw prompts, ignore_eos, exact usage) or a peer's chat completions. */
    private record Target(URI uri, boolean chat) {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int[] levels = Arrays.stream((args.length > 1 ? args[1] : "1,4,8,16").split(",")).mapToInt(Integer::parseInt).toArray();
        int promptTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128, output = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int adapterCount = args.length > 4 ? Integer.parseInt(args[4]) : 0, rank = args.length > 5 ? Integer.parseInt(args[5]) : 16;
        if (!(ModelLoader.load(dir, false) instanceof LoadedModel.CausalLm lm)) throw new IllegalArgumentException(dir + " is not a causal LM");
        lm.model().train(false);
        MultiLora adapters = adapterCount > 0 ? randomAdapters(lm.model(), adapterCount, rank) : null;
        GenerationSession session = GenerationSession.open(dir, lm.model());
        int maxSeqs = Arrays.stream(levels).max().orElse(1);
        int maxLen = Math.min(lm.model().config().rope().maxPositionEmbeddings(), promptTokens * 2 + output + 16);
        try (OpenAiServer server = new OpenAiServer(session, new ServeConfig("127.0.0.1", 0, List.of(BASE), null, 0,
                ServeConfig.DEFAULT_MAX_BODY_BYTES, new EngineConfig(maxSeqs, 4 * maxSeqs, maxLen,
                Integer.getInteger("max_num_batched_tokens", Math.max(maxSeqs, EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS)),
                EngineConfig.DEFAULT_BLOCK_SIZE, 0, EngineConfig.kvCacheDtype(System.getProperty("kv_cache_dtype", "auto")))), adapters).start();
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Target jswift = new Target(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"), false);
            String peerUrl = System.getProperty("peer");
            Target peer = peerUrl == null ? null : new Target(URI.create(peerUrl), true);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool).build();
            Random random = new Random(1);
            run(http, jswift, List.of(prompt(session, random, promptTokens)), List.of(BASE), 8); // warm-up: JIT, first allocations
            if (peer != null) run(http, peer, List.of(prompt(session, random, promptTokens)), List.of(BASE), 8);
            if (adapters != null) run(http, jswift, List.of(prompt(session, random, promptTokens)), List.of(adapters.names().getFirst()), 8);
            System.out.println("KV pool: " + server.engine().kvBlocksTotal() + " blocks of " + EngineConfig.DEFAULT_BLOCK_SIZE + " positions, "
                    + server.engine().kvCacheDtype());
            System.out.printf(Locale.ROOT, "%-5s %-9s %10s %9s %10s %10s %10s %10s %8s %6s%n", "conc", "model", "out tok/s", "tok/s/str", "ttft p50", "ttft p99", "itl p50", "itl p99", "prompt", "x c=1");
            Map<String, Double> single = new HashMap<>(); // label -> tok/s at one stream
            for (int c : levels) {
                List<String> prompts = new ArrayList<>();
                for (int i = 0; i < c; i++) prompts.add(prompt(session, random, promptTokens));
                List<String> base = new ArrayList<>(), mixed = new ArrayList<>();
                for (int i = 0; i < c; i++) {
                    base.add(BASE);
                    if (adapters != null) mixed.add(adapters.names().get(i % adapters.names().size()));
                }
                report(c, "base", http, jswift, prompts, base, output, single);
                if (peer != null) report(c, "peer", http, peer, prompts, base, output, single);
                if (adapters != null) report(c, "lora x" + Math.min(c, adapterCount), http, jswift, prompts, mixed, output, single);
            }
        }
    }

    private static final String BASE = "bench";

    /** One row; {@code single} keeps each label's one-stream throughput ("lora x1" and "lora xN" count as one label). */
    private static void report(int c, String label, HttpClient http, Target target, List<String> prompts, List<String> models, int output,
                               Map<String, Double> single) throws Exception {
        long t0 = System.nanoTime();
        List<Stream1> streams = run(http, target, prompts, models, output);
        double wall = (System.nanoTime() - t0) / 1e9;
        int tokens = streams.stream().mapToInt(Stream1::completionTokens).sum();
        double[] ttft = streams.stream().mapToDouble(Stream1::ttft).sorted().toArray();
        double[] itl = streams.stream().flatMapToDouble(s -> Arrays.stream(s.gaps())).sorted().toArray();
        String kind = label.startsWith("lora") ? "lora" : label;
        if (c == 1) single.put(kind, tokens / wall);
        Double one = single.get(kind);
        System.out.printf(Locale.ROOT, "%-5d %-9s %10.1f %9.2f %8.1fms %8.1fms %8.1fms %8.1fms %8s %6s%n", c, label, tokens / wall, tokens / wall / c,
                1e3 * pct(ttft, 50), 1e3 * pct(ttft, 99), 1e3 * pct(itl, 50), 1e3 * pct(itl, 99),
                target.chat() ? "-" : String.format(Locale.ROOT, "%.0f", streams.stream().mapToInt(Stream1::promptTokens).average().orElse(0)),
                one == null ? "-" : String.format(Locale.ROOT, "%.2f", tokens / wall / one));
    }

    /**
     * {@code n} adapters on every linear layer but lm_head (all-linear), rank {@code rank}, alpha 2·rank, with random A
     * (PEFT's init) and random small B, as training leaves them: what they compute does not matter here, their cost does.
     */
    private static MultiLora randomAdapters(CausalLm model, int n, int rank) {
        Map<String, Map<String, LoraWeights>> set = new LinkedHashMap<>();
        Generator gen = new Generator(7);
        for (int a = 0; a < n; a++) {
            LoraInjector.inject(model, new LoraConfig(rank, 2 * rank, 0, false, false, List.of(LoraConfig.ALL_LINEAR)), gen);
            Map<String, LoraWeights> layers = new LinkedHashMap<>();
            for (var e : LoraInjector.find(model).entrySet()) {
                var b = e.getValue().adapterParameters().get("lora_B.weight");
                b.setValue(Init.normal(gen, 0, 0.01, b.shape()).to(b.device()));
                layers.put(e.getKey(), LoraWeights.of(e.getValue()));
            }
            LoraInjector.unload(model);
            set.put("lora-" + a, layers);
        }
        return MultiLora.install(model, set);
    }

    /** About {@code n} tokens of random text (the server reports the exact count). */
    private static String prompt(GenerationSession session, Random random, int n) {
        int vocab = session.tokenizer().vocabSize();
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(vocab);
        return session.tokenizer().decode(ids, true);
    }

    /** The request body of one stream: a completion for jswift, a chat completion (one user message) for a peer. */
    private static Map<String, Object> body(Target target, String model, String prompt, int output) {
        if (target.chat()) return Map.of("model", model, "messages", List.of(Map.of("role", "user", "content", prompt)), "max_tokens", output,
                "temperature", 0, "stream", true);
        return Map.of("model", model, "prompt", prompt, "max_tokens", output, "temperature", 0, "ignore_eos", true, "stream", true,
                "stream_options", Map.of("include_usage", true));
    }

    /** Streams prompt i on model id models[i], all started together. */
    private static List<Stream1> run(HttpClient http, Target target, List<String> prompts, List<String> models, int output) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Future<Stream1>> futures = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < prompts.size(); i++) {
                String body = json.writeValueAsString(body(target, models.get(i), prompts.get(i), output));
                futures.add(clients.submit(() -> {
                    long start = System.nanoTime();
                    HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(target.uri()).header("Content-Type", "application/json")
                            .header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
                    if (r.statusCode() != 200) throw new IllegalStateException(target.uri() + ": HTTP " + r.statusCode());
                    List<Long> times = new ArrayList<>();
                    int[] usage = new int[2];
                    // "data: {...}" (jswift, OpenAI) or "data:{...}" (Spring's SseEmitter, Jlama)
                    r.body().filter(l -> l.startsWith("data:") && !l.substring(5).strip().equals("[DONE]")).forEach(l -> {
                        try {
                            JsonNode chunk = json.readTree(l.substring(5).strip());
                            if (chunk.path("choices").isEmpty() && chunk.hasNonNull("usage")) {
                                usage[0] = chunk.at("/usage/prompt_tokens").asInt();
                                usage[1] = chunk.at("/usage/completion_tokens").asInt();
                            } else if (!target.chat() || !chunk.at("/choices/0/delta/content").asText("").isEmpty()) {
                                times.add(System.nanoTime());
                                if (target.chat()) usage[1]++; // a peer's content event per token: its output count
                            }
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    if (times.isEmpty()) throw new IllegalStateException(target.uri() + ": a stream without tokens");
                    double[] gaps = new double[Math.max(0, times.size() - 1)];
                    for (int t = 1; t < times.size(); t++) gaps[t - 1] = (times.get(t) - times.get(t - 1)) / 1e9;
                    return new Stream1((times.get(0) - start) / 1e9, gaps, usage[0], usage[1]);
                }));
            }
            List<Stream1> out = new ArrayList<>();
            for (Future<Stream1> f : futures) out.add(f.get());
            return out;
        }
    }

    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }
}
