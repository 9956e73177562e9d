package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeployCommandTest {
    @TempDir
    Path dir;

    @Test
    void deployServesTheModelUnderItsNameWithTheKey() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String[] args = {"deploy", "--model", model.toString(), "--port", String.valueOf(port), "--served_model_name", "tiny-chat",
                "--api_key", "secret", "--max_num_seqs", "2", "--max_model_len", "128", "--max_new_tokens", "5"};
        Thread server = Thread.ofPlatform().daemon(true).start(() -> Main.run(args)); // serves until the test JVM exits
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + 60_000_000_000L;
        int health = 0;
        while (health != 200 && System.nanoTime() < deadline && server.isAlive()) {
            try {
                health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (java.io.IOException notYet) {
                Thread.sleep(50);
            }
        }
        assertEquals(200, health);
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
    void badFlagsAreOneLineErrors() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        assertTrue(run("deploy", "--model", model.toString(), "--max_model_len", "100000").contains("max_position_embeddings"));
        assertTrue(run("deploy", "--model", model.toString(), "--adapters", "a=" + dir, "b=" + dir).contains("multi-LoRA"));
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
