package io.jswift.serve;

import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A graceful stop: new requests get 503, the running stream finishes, then the port closes. */
class ShutdownTest {
    @TempDir
    Path dir;

    @Test
    void shutdownDrainsRunningStreamsAndRefusesNewRequests() throws Exception {
        try (LiveServer live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), null, 2, 4, 256, 0);
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI completions = URI.create(live.baseUrl() + "/v1/completions");
            URI health = URI.create(live.baseUrl() + "/health");
            String stream = "{\"model\": \"tiny\", \"prompt\": \"hello\", \"max_tokens\": 150, \"ignore_eos\": true, \"stream\": true,"
                    + " \"stream_options\": {\"include_usage\": true}}";
            CompletableFuture<Void> firstChunk = new CompletableFuture<>();
            Future<List<String>> lines = pool.submit(() -> http.send(HttpRequest.newBuilder(completions).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(stream)).build(), HttpResponse.BodyHandlers.ofLines()).body()
                    .peek(l -> firstChunk.complete(null)).filter(l -> l.startsWith("data: ")).collect(Collectors.toList()));
            firstChunk.get(60, TimeUnit.SECONDS);
            Future<Boolean> stopped = pool.submit(() -> live.server.shutdown(Duration.ofSeconds(60)));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!live.server.engine().draining() && System.nanoTime() < deadline) Thread.sleep(2);
            if (!stopped.isDone()) { // the stream may be done already on a fast machine; then only the port check applies
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(completions).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny\", \"prompt\": \"hi\", \"max_tokens\": 2}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("shutting_down"), refused.body());
            }
            List<String> events = lines.get(60, TimeUnit.SECONDS);
            assertEquals("data: [DONE]", events.getLast());
            assertTrue(events.get(events.size() - 2).contains("\"completion_tokens\":150"), events.get(events.size() - 2));
            assertTrue(stopped.get(60, TimeUnit.SECONDS), "drained in time");
            assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(health).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
    }
}
