package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** `jswift deploy --adapters NAME=DIR DIR` serves LoRA adapters saved by PEFT under NAME and the folder's name, beside the base model. */
class DeployAdapterTest {
    @TempDir
    Path dir;

    @Test
    void aPeftAdapterIsServedUnderItsName() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        Path adapter = Path.of("../models/src/test/resources/adapters/peft-lora-llama").toAbsolutePath().normalize();
        // the same adapter twice: by NAME=DIR and as a bare DIR (served under its folder name)
        URI base = InProcessDeploy.start("--model", model.toString(), "--adapters", "my-lora=" + adapter, adapter.toString());
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        JsonNode models = json.readTree(http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(model.getFileName().toString(), models.at("/data/0/id").asText());
        assertEquals("my-lora", models.at("/data/1/id").asText());
        assertEquals(model.getFileName().toString(), models.at("/data/1/parent").asText());
        assertEquals("peft-lora-llama", models.at("/data/2/id").asText());
        assertEquals(3, models.get("data").size());

        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"my-lora\", \"temperature\": 0, \"max_tokens\": 10,"
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"hi there\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());

        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model();
        PeftAdapter.load(adapter, lm);
        GenerationSession adapted = GenerationSession.open(model, lm);
        int[] prompt = adapted.chatPrompt(List.of(Map.of("role", "user", "content", "hi there")), null);
        String expected = adapted.tokenizer().decode(adapted.generate(List.of(prompt), SamplingParams.greedy(10), null).get(0).tokens(), true);
        assertEquals(expected, json.readTree(r.body()).at("/choices/0/message/content").asText());
    }
}
