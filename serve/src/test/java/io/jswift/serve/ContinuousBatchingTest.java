package io.jswift.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine behind the API: concurrent streams share decode steps, the queue is bounded, a vanished client frees its slot. */
class ContinuousBatchingTest {
    @TempDir
    Path dir;

    private static OpenAIClient client(LiveServer live) {
        return OpenAIOkHttpClient.builder().baseUrl(live.baseUrl() + "/v1").apiKey("unused").maxRetries(0).timeout(Duration.ofSeconds(120)).build();
    }

    private static ChatCompletionCreateParams greedy(String user, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(LiveServer.MODEL).addUserMessage(user).maxCompletionTokens(maxTokens).temperature(0).build();
    }

    private static String soloText(LiveServer live, String user, int maxTokens) {
        int[] prompt = live.reference.chatPrompt(List.of(Map.of("role", "user", "content", user)), null);
        TextGenerator.Result r = live.reference.generate(List.of(prompt), SamplingParams.greedy(maxTokens), null).get(0);
        return live.reference.tokenizer().decode(r.tokens(), true);
    }

    @Test
    void concurrentStreamsEachEqualTheirSoloResult() throws Exception {
        try (LiveServer live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), null, 4, 16, 256, 0);
             ExecutorService pool = Executors.newFixedThreadPool(6)) {
            OpenAIClient client = client(live);
            List<String> users = List.of("hi there", "what is up", "a", "tell me a long story please", "ok", "zzz top");
            int[] lengths = {30, 12, 40, 25, 35, 18};
            live.server.engine().pause(); // all six queue first, then four run together and two join as slots free
            List<Future<String>> streams = new ArrayList<>();
            for (int i = 0; i < users.size(); i++) {
                int k = i;
                streams.add(pool.submit(() -> {
                    StringBuilder text = new StringBuilder();
                    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(greedy(users.get(k), lengths[k]))) {
                        s.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
                    }
                    return text.toString();
                }));
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (live.server.engine().waiting() < users.size() && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(users.size(), live.server.engine().waiting());
            live.server.engine().resume();
            for (int i = 0; i < users.size(); i++) assertEquals(soloText(live, users.get(i), lengths[i]), streams.get(i).get(), "stream " + i);
        }
    }

    @Test
    void aFullQueueAnswers429AndQueuedRequestsStillComplete() throws Exception {
        try (LiveServer live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), null, 1, 1, 256, 0);
             ExecutorService pool = Executors.newFixedThreadPool(2)) {
            OpenAIClient client = client(live);
            live.server.engine().pause();
            // one batch slot plus one waiting place: two requests fit, the third does not
            Future<String> a = pool.submit(() -> client.chat().completions().create(greedy("hi there", 5)).choices().get(0).message().content().orElse(""));
            Future<String> b = pool.submit(() -> client.chat().completions().create(greedy("ok", 5)).choices().get(0).message().content().orElse(""));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (live.server.engine().waiting() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            RateLimitException e = assertThrows(RateLimitException.class, () -> client.chat().completions().create(greedy("no room", 5)));
            assertEquals(429, e.statusCode());
            live.server.engine().resume();
            assertEquals(soloText(live, "hi there", 5), a.get());
            assertEquals(soloText(live, "ok", 5), b.get());
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
        try (LiveServer live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), null, 1, 4, 256, 0)) {
            int maxTokens = 200;
            String user = "hi there";
            int soloLength = maxTokens; // ignore_eos: the reply runs to its budget unless cancelled
            live.server.engine().pause();
            String body = "{\"model\": \"tiny\", \"stream\": true, \"ignore_eos\": true, \"temperature\": 0, \"max_tokens\": " + maxTokens
                    + ", \"messages\": [{\"role\": \"user\", \"content\": \"" + user + "\"}]}";
            try (Socket socket = new Socket("127.0.0.1", live.server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("data: ")) { } // headers, then the role chunk
                assertTrue(line != null && line.contains("\"role\":\"assistant\""), String.valueOf(line));
            } // the client is gone before the first token
            live.server.engine().resume();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while ((live.server.engine().running() > 0 || live.server.engine().waiting() > 0) && System.nanoTime() < deadline) Thread.sleep(5);
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(live.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(1, metric(metrics, "jswift_sequences_cancelled_total"), metrics);
            long generated = metric(metrics, "jswift_generation_tokens_total");
            assertTrue(generated < soloLength / 2, "the sequence went on after its client left: " + generated + " tokens");
            // the slot is free: the next request runs
            assertEquals(soloText(live, "ok", 6), client(live).chat().completions().create(greedy("ok", 6)).choices().get(0).message().content().orElse(""));
        }
    }

    private static long metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(text);
        assertTrue(m.find(), name + " missing");
        return Long.parseLong(m.group(1));
    }
}
