package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeployCommandTest {
    @TempDir
    Path dir;

    @Test
    void deployServesTheModelUnderItsNameWithTheKey() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        URI base = InProcessDeploy.start("--model", model.toString(), "--served_model_name", "tiny-chat",
                "--api_key", "secret", "--max_num_seqs", "2", "--max_model_len", "128", "--max_new_tokens", "5");
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).header("Authorization", "Bearer secret")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\": \"tiny-chat\", \"temperature\": 0, \"ignore_eos\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = new ObjectMapper().readTree(r.body());
        assertEquals(5, body.at("/usage/completion_tokens").asInt()); // --max_new_tokens when the request gives none
        assertEquals(128, new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
                .header("Authorization", "Bearer secret").build(), HttpResponse.BodyHandlers.ofString()).body()).at("/data/0/max_model_len").asInt());
        assertEquals(401, http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void sigtermLetsTheRunningStreamFinishThenExits() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "deploy", "--model", model.toString(), "--port", String.valueOf(port))
                .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI base = URI.create("http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + 120_000_000_000L;
            int health = 0;
            while (health != 200 && System.nanoTime() < deadline && p.isAlive()) {
                try {
                    health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertEquals(200, health, () -> readQuietly(err));
            String body = "{\"model\": \"tiny-with-tokenizer\", \"prompt\": \"hello\", \"max_tokens\": 200, \"ignore_eos\": true,"
                    + " \"stream\": true, \"stream_options\": {\"include_usage\": true}}";
            CompletableFuture<Void> first = new CompletableFuture<>();
            CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
                try {
                    return http.send(HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines()).body()
                            .peek(l -> first.complete(null)).filter(l -> l.startsWith("data: ")).toList();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            first.get(60, TimeUnit.SECONDS);
            p.destroy(); // SIGTERM
            List<String> events = lines.get(60, TimeUnit.SECONDS);
            assertEquals("data: [DONE]", events.getLast());
            assertTrue(events.get(events.size() - 2).contains("\"completion_tokens\":200"), events.get(events.size() - 2));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server exits after draining");
            assertTrue(readQuietly(err).contains("stopped after the last request finished"), readQuietly(err));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }

    @Test
    void badFlagsAreOneLineErrors() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        assertTrue(run("deploy", "--model", model.toString(), "--max_model_len", "100000").contains("max_position_embeddings"));
        assertTrue(run("deploy", "--model", model.toString(), "--adapters", "a=" + dir, "a=" + dir).contains("two adapters are named 'a'"));
        String notAnAdapter = run("deploy", "--model", model.toString(), "--adapters", "a=" + model);
        assertTrue(notAnAdapter.contains("adapter_config.json"), notAnAdapter);
        String fp8 = run("deploy", "--model", model.toString(), "--kv_cache_dtype", "fp8");
        assertTrue(fp8.contains("--kv_cache_dtype fp8: expected auto, bfloat16, float16 or float32 (fp8 KV caches are not supported)"), fp8);
        String budget = run("deploy", "--model", model.toString(), "--max_num_seqs", "16", "--max_num_batched_tokens", "8");
        assertTrue(budget.contains("max_num_batched_tokens (8) must be >= max_num_seqs (16)"), budget);
    }

    /** Qwen3-Next (Gated DeltaNet layers: a recurrent-state slot per sequence in the server's caches) is served. */
    @Test
    void qwen3NextIsServed() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(TinyModels.MODELS.resolve("qwen3-next-f32").resolve(f), model.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        URI base = InProcessDeploy.start("--model", model.toString(), "--served_model_name", "qnext", "--max_num_seqs", "2", "--max_model_len", "64");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\": \"qnext\", \"prompt\": \"hello there\", \"max_tokens\": 6, \"temperature\": 0, \"ignore_eos\": true}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(6, new ObjectMapper().readTree(r.body()).at("/usage/completion_tokens").asInt());
        // the recurrent-state slots (one per max_num_seqs) are stated in /metrics, inside the KV cache's memory
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("jswift_recurrent_state_slots_total 2\n"), metrics);
        assertTrue(metrics.matches("(?s).*jswift_recurrent_state_bytes [1-9][0-9]*\n.*"), metrics);
    }

    private static String run(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(1, Main.run(args));
        } finally {
            System.setErr(original);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
