package io.jswift.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code jswift deploy} in this JVM on a free loopback port: a daemon thread that serves until the test JVM exits. */
final class InProcessDeploy {
    private InProcessDeploy() {}

    /** Starts {@code jswift deploy FLAGS --port P} and returns its base URI once /health answers 200 (within 60 s). */
    static URI start(String... flags) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String[] args = Stream.concat(Stream.concat(Stream.of("deploy"), Stream.of(flags)), Stream.of("--port", String.valueOf(port)))
                .toArray(String[]::new);
        Thread server = Thread.ofPlatform().daemon(true).start(() -> Main.run(args));
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + 60_000_000_000L;
        int health = 0;
        while (health != 200 && System.nanoTime() < deadline && server.isAlive()) {
            try {
                health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        assertEquals(200, health);
        return base;
    }
}
