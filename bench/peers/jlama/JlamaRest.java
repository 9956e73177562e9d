// Jlama side of ServeBench's side-by-side run: Jlama 0.8.4's engine behind an OpenAI-style POST /chat/completions,
// served the way Jlama's own `restapi` command serves it (jlama-net's OpenAIChatService): each request one
// model.generate on a session of its own, run with CompletableFuture.supplyAsync, its tokens sent as SSE events
// "data:{...}" one per token, then a chunk with finish_reason "stop"; temperature and max_tokens (reply tokens, see
// below) from the request. Jlama's restapi itself cannot be fetched: jlama-cli 0.8.4 depends on jlama-net 0.8.4, which
// is not on Maven Central (only jlama-net 0.5.1 is), so this file stands in for its Spring layer with the JDK's HTTP server.
// One difference: the generate calls run on one thread, one request at a time (the others queue). Jlama has no batching,
// and its generate is not safe to call concurrently: with plain supplyAsync (which on this 2-core machine runs each task
// on a thread of its own, as CompletableFuture does when the common pool's parallelism is below 2), 4 concurrent streams
// failed with IllegalArgumentException "BAD M" in MLPBlock.forward, as Jlama's restapi would under concurrent requests.
// Run (outside the jswift build; Jlama is only a peer; the model directory needs a tokenizer, see JlamaInfer.java):
//   (cd bench/peers/jlama && mvn -q dependency:copy-dependencies -DoutputDirectory=lib)
//   java --add-modules jdk.incubator.vector -cp "bench/peers/jlama/lib/*" bench/peers/jlama/JlamaRest.java /tmp/llama1b 8080
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public class JlamaRest {
    private static final ExecutorService GENERATE = Executors.newSingleThreadExecutor();

    public static void main(String[] args) throws Exception {
        AbstractModel model = ModelSupport.loadModel(new File(args[0]), DType.F32, DType.BF16);
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
        ObjectMapper json = new ObjectMapper();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/chat/completions", exchange -> {
            try {
                JsonNode req = json.readTree(exchange.getRequestBody());
                String content = req.at("/messages/0/content").asText();
                PromptContext prompt = model.promptSupport().isPresent()
                        ? model.promptSupport().get().builder().addUserMessage(content).build() : PromptContext.of(content);
                float temperature = req.has("temperature") ? (float) req.get("temperature").asDouble() : 0.3f; // Jlama's defaults
                // Jlama's generate takes the whole sequence's length (prompt + reply), which its restapi passes max_tokens as;
                // here max_tokens means what it means in OpenAI's API (reply tokens), so the prompt's length is added
                int maxTokens = (req.has("max_tokens") ? req.get("max_tokens").asInt() : 1024) + model.getTokenizer().encode(prompt.getPrompt()).length;
                String id = UUID.randomUUID().toString();
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                CompletableFuture.supplyAsync(() -> model.generate(UUID.fromString(id), prompt, temperature, maxTokens, (t, f) -> {
                    send(out, json, Map.of("id", id, "choices", List.of(Map.of("index", 0, "delta", Map.of("content", t)))));
                }), GENERATE).handle((r, e) -> {
                    if (e != null) e.printStackTrace();
                    send(out, json, Map.of("id", id, "choices", List.of(Map.of("index", 0, "delta", Map.of(), "finish_reason", "stop"))));
                    exchange.close();
                    return null;
                }).join();
            } catch (Exception e) {
                byte[] msg = ("{\"error\": {\"message\": \"" + e.getMessage() + "\"}}").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(400, msg.length);
                exchange.getResponseBody().write(msg);
                exchange.close();
            }
        });
        server.start();
        System.out.println("Jlama 0.8.4 chat completions on http://127.0.0.1:" + port + "/chat/completions");
    }

    private static void send(OutputStream out, ObjectMapper json, Object event) {
        try {
            synchronized (out) {
                out.write(("data:" + json.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
