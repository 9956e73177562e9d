package io.jswift.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.adapter.ServedAdapters;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.nn.Init;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.MultiLora;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.EngineConfig;
import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Multi-LoRA batches: 16 concurrent streams over four adapters (LoRA on q/v, all-linear rsLoRA, DoRA, and an adapter
 * saved by PEFT) and the base model decode together, and each reply equals the greedy reply of its adapter applied
 * to the model alone (PeftAdapter.load, i.e. LoraLinear, no batching).
 */
class MultiLoraBatchTest {
    @TempDir
    Path dir;

    /** An adapter as training would leave it: B non-zero (seeded), saved in PEFT's format. */
    private static Path randomAdapter(Path modelDir, Path out, LoraConfig config, long seed) throws Exception {
        CausalLm lm = LiveServer.load(modelDir);
        LoraInjector.inject(lm, config, new Generator(seed));
        Generator g = new Generator(seed + 1);
        for (LoraLinear l : LoraInjector.find(lm).values()) {
            var b = l.adapterParameters().get("lora_B.weight");
            b.setValue(Init.normal(g, 0, 0.4, b.shape()));
        }
        PeftAdapter.save(out, lm, config, modelDir.toString());
        return out;
    }

    private static Path peftFixture() throws URISyntaxException {
        return Path.of(MultiLoraBatchTest.class.getResource("/adapters/peft-lora-llama/adapter_config.json").toURI()).getParent();
    }

    /** The reply of {@code adapter} (null: base) run alone on a fresh model. */
    private static String solo(Path modelDir, Path adapter, String user, int maxTokens) throws Exception {
        CausalLm lm = LiveServer.load(modelDir);
        if (adapter != null) PeftAdapter.load(adapter, lm);
        GenerationSession s = GenerationSession.open(modelDir, lm);
        int[] prompt = s.chatPrompt(List.of(Map.of("role", "user", "content", user)), null);
        return s.tokenizer().decode(s.generate(List.of(prompt), SamplingParams.greedy(maxTokens), null).get(0).tokens(), true);
    }

    @Test
    void sixteenStreamsOverMixedAdaptersEachEqualTheirSoloReply() throws Exception {
        Path model = TinyChatModels.llamaWithTinyTokenizer(dir);
        Map<String, Path> adapters = new LinkedHashMap<>();
        adapters.put("qv", randomAdapter(model, dir.resolve("qv"), new LoraConfig(4, 8, 0, false, false, List.of("q_proj", "v_proj")), 100));
        adapters.put("all-rs", randomAdapter(model, dir.resolve("all-rs"), new LoraConfig(2, 4, 0, true, false, List.of(LoraConfig.ALL_LINEAR)), 200));
        adapters.put("dora", randomAdapter(model, dir.resolve("dora"), new LoraConfig(4, 8, 0, false, true, List.of("k_proj", "o_proj", "down_proj")), 300));
        adapters.put("peft", peftFixture());
        List<String> ids = new ArrayList<>();
        ids.add(LiveServer.MODEL);
        ids.addAll(adapters.keySet());

        CausalLm lm = LiveServer.load(model);
        MultiLora served = ServedAdapters.load(lm, adapters);
        // blocks of 4 positions: the prompts below span several, so a shared prefix across adapters would show
        EngineConfig engine = new EngineConfig(16, 16, 256, EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS, 4, 0);
        try (OpenAiServer server = new OpenAiServer(GenerationSession.open(model, lm), new ServeConfig("127.0.0.1", 0, List.of(LiveServer.MODEL),
                null, 0, ServeConfig.DEFAULT_MAX_BODY_BYTES, engine), served).start();
             ExecutorService pool = Executors.newFixedThreadPool(16)) {
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("unused")
                    .maxRetries(0).timeout(Duration.ofSeconds(180)).build();
            assertEquals(ids, client.models().list().data().stream().map(Model::id).toList());

            List<String> users = List.of("hi there, how are you", "tell me a long story please", "what is up today");
            server.engine().pause(); // all sixteen queue first, then decode in one batch
            List<Future<String>> streams = new ArrayList<>();
            List<String> models = new ArrayList<>(), prompts = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String id = ids.get(i % ids.size()), user = users.get(i % users.size());
                int maxTokens = 12 + 3 * (i % 5);
                models.add(id);
                prompts.add(user);
                lengths.add(maxTokens);
                ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(id).addUserMessage(user)
                        .maxCompletionTokens(maxTokens).temperature(0).build();
                streams.add(pool.submit(() -> {
                    StringBuilder text = new StringBuilder();
                    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
                        s.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(text::append)));
                    }
                    return text.toString();
                }));
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (server.engine().waiting() < 16 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(16, server.engine().waiting());
            server.engine().resume();
            for (int i = 0; i < 16; i++) {
                Path adapter = adapters.get(models.get(i));
                assertEquals(solo(model, adapter, prompts.get(i), lengths.get(i)), streams.get(i).get(), "stream " + i + " (" + models.get(i) + ")");
            }
        }
        // the adapters change the replies, so equal replies above say each row got its own adapter
        String base = solo(model, null, users0(), 24);
        for (Path a : adapters.values()) assertNotEquals(base, solo(model, a, users0(), 24), a.toString());
    }

    private static String users0() { return "hi there, how are you"; }
}
