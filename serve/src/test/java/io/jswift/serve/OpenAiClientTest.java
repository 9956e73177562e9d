package io.jswift.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.testing.TinyChatModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API through the official openai-java client against a live server on the tiny chat model. */
class OpenAiClientTest {
    static final String KEY = "sk-test-123";
    @TempDir
    static Path dir;
    static LiveServer live;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        live = new LiveServer(TinyChatModels.llamaWithTinyTokenizer(dir), KEY, 4, 8, 256, 0);
        client = OpenAIOkHttpClient.builder().baseUrl(live.baseUrl() + "/v1").apiKey(KEY).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        live.close();
    }

    /** What the generation session answers alone: text and the number of tokens sampled (eos included). */
    private record Expected(String text, int sampled, String finish) {}

    private static Expected solo(int[] prompt, int maxNew) {
        TextGenerator.Result r = live.reference.generate(List.of(prompt), SamplingParams.greedy(maxNew), null).get(0);
        boolean eos = r.reason() == TextGenerator.FinishReason.EOS;
        return new Expected(live.reference.tokenizer().decode(r.tokens(), true), r.tokens().length + (eos ? 1 : 0), eos ? "stop" : "length");
    }

    private static int[] chatPrompt(String user) {
        return live.reference.chatPrompt(List.of(Map.of("role", "user", "content", user)), null);
    }

    @Test
    void greedyChatEqualsTheGenerationSessionWithExactUsage() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(LiveServer.MODEL)
                .addUserMessage("hi there").maxCompletionTokens(12).temperature(0).build());
        int[] prompt = chatPrompt("hi there");
        Expected e = solo(prompt, 12);
        assertTrue(e.text().length() > 3, "the tiny model says something: '" + e.text() + "'");
        assertEquals(e.text(), c.choices().get(0).message().content().orElse(""));
        assertEquals(e.finish(), c.choices().get(0).finishReason().asString());
        assertEquals(prompt.length, c.usage().orElseThrow().promptTokens());
        assertEquals(e.sampled(), c.usage().orElseThrow().completionTokens());
        assertEquals(prompt.length + e.sampled(), c.usage().orElseThrow().totalTokens());
        assertEquals(LiveServer.MODEL, c.model());

        // a reply ended by eos: the eos counts as a completion token (as vLLM) but is not in the text
        ChatCompletion ended = client.chat().completions().create(ChatCompletionCreateParams.builder().model(LiveServer.MODEL)
                .addUserMessage("hi there").maxCompletionTokens(60).temperature(0).build());
        Expected eos = solo(prompt, 60);
        assertEquals("stop", eos.finish());
        assertEquals("stop", ended.choices().get(0).finishReason().asString());
        assertEquals(eos.text(), ended.choices().get(0).message().content().orElse(""));
        assertEquals(eos.sampled(), ended.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedTextEqualsTheWholeAnswerRoleFirstUsageLast() {
        ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder().model(LiveServer.MODEL)
                .addUserMessage("tell me more").maxCompletionTokens(20).temperature(0);
        String whole = client.chat().completions().create(b.build()).choices().get(0).message().content().orElse("");
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                b.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < chunks.size() - 1; i++) {
            ChatCompletionChunk c = chunks.get(i);
            assertEquals(1, c.choices().size());
            assertTrue(c.usage().isEmpty(), "usage only in the last chunk");
            c.choices().get(0).delta().content().ifPresent(text::append);
            assertEquals(i == 0, c.choices().get(0).delta().role().isPresent(), "the role comes in the first delta only");
        }
        assertEquals(whole, text.toString());
        assertTrue(chunks.get(chunks.size() - 2).choices().get(0).finishReason().isPresent());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty());
        int[] prompt = chatPrompt("tell me more");
        assertEquals(prompt.length, last.usage().orElseThrow().promptTokens());
        assertEquals(solo(prompt, 20).sampled(), last.usage().orElseThrow().completionTokens());
    }

    @Test
    void completionsTakeTheRawPromptWithoutTemplate() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(LiveServer.MODEL)
                .prompt("Once upon a time").maxTokens(10).temperature(0).build());
        int[] prompt = live.reference.textPrompt("Once upon a time");
        Expected e = solo(prompt, 10);
        assertEquals(e.text(), c.choices().get(0).text());
        assertEquals(prompt.length, c.usage().orElseThrow().promptTokens());
        assertEquals(e.sampled(), c.usage().orElseThrow().completionTokens());

        // vLLM's ignore_eos: the reply runs to its budget
        Completion full = client.completions().create(CompletionCreateParams.builder().model(LiveServer.MODEL)
                .prompt("Once upon a time").maxTokens(60).temperature(0).putAdditionalBodyProperty("ignore_eos", JsonValue.from(true)).build());
        assertEquals(60, full.usage().orElseThrow().completionTokens());
        assertEquals("length", full.choices().get(0).finishReason().asString());
    }

    @Test
    void nChoicesLogprobsAndStop() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(LiveServer.MODEL)
                .addUserMessage("hi there").maxCompletionTokens(8).temperature(0).n(2).logprobs(true).topLogprobs(3).build());
        assertEquals(2, c.choices().size());
        String text = c.choices().get(0).message().content().orElse("");
        assertEquals(text, c.choices().get(1).message().content().orElse("")); // greedy: both the same
        List<ChatCompletionTokenLogprob> lps = c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        StringBuilder joined = new StringBuilder();
        for (ChatCompletionTokenLogprob lp : lps) {
            joined.append(lp.token());
            assertEquals(3, lp.topLogprobs().size());
            assertEquals(lp.topLogprobs().get(0).logprob(), lp.logprob(), 1e-9); // greedy picks the most likely
            assertTrue(lp.topLogprobs().get(0).logprob() >= lp.topLogprobs().get(1).logprob());
            assertTrue(lp.logprob() <= 0);
        }
        assertEquals(text, joined.toString());
        assertEquals(2L * solo(chatPrompt("hi there"), 8).sampled(), c.usage().orElseThrow().completionTokens());

        String full = solo(chatPrompt("hi there"), 12).text();
        String stop = full.substring(4, 6);
        ChatCompletion stopped = client.chat().completions().create(ChatCompletionCreateParams.builder().model(LiveServer.MODEL)
                .addUserMessage("hi there").maxCompletionTokens(12).temperature(0).stop(stop).build());
        assertEquals(full.substring(0, full.indexOf(stop)), stopped.choices().get(0).message().content().orElse(""));
        assertEquals("stop", stopped.choices().get(0).finishReason().asString());
    }

    @Test
    void seededSamplingIsReproducible() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model(LiveServer.MODEL).addUserMessage("hi there")
                .maxCompletionTokens(10).temperature(1.0).topP(0.9).seed(7).build();
        String a = client.chat().completions().create(p).choices().get(0).message().content().orElse("");
        String b = client.chat().completions().create(p).choices().get(0).message().content().orElse("");
        assertEquals(a, b);
    }

    @Test
    void modelsHealthKeyAndUnknownModel() throws Exception {
        assertEquals(List.of(LiveServer.MODEL), client.models().list().data().stream().map(m -> m.id()).toList());
        OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl(live.baseUrl() + "/v1").apiKey("nope").maxRetries(0).build();
        UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> wrong.models().list());
        assertEquals(401, e.statusCode());
        NotFoundException nf = assertThrows(NotFoundException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("gpt-9").addUserMessage("x").build()));
        assertEquals(404, nf.statusCode());
        // /health and /metrics need no key
        HttpClient http = HttpClient.newHttpClient();
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(live.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(live.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("# TYPE jswift_time_to_first_token_seconds histogram"), metrics.body());
        assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        assertFalse(metrics.body().contains("jswift_num_requests_running 1"));
    }
}
