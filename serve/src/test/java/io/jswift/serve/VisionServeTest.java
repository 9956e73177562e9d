package io.jswift.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.generate.GenerationSession;
import io.jswift.models.testing.TinyChatModels;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.serve.api.ServeConfig;
import io.jswift.serve.engine.EngineConfig;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * deploy with Qwen2-VL: chat requests with image_url parts (data: URLs, and file paths inside
 * --allowed_local_media_path) get the greedy replies transformers generates for the same conversations
 * (tools/fixtures/qwen2vl_model_fixtures.py, greedy.chat.N), also when both decode in one batch, each row with its own
 * M-RoPE delta; local files outside the allowed directory (symbolic links resolved), remote URLs and images for a text
 * model are 400s.
 */
class VisionServeTest {
    private static final Path RES = Path.of("../models/src/test/resources").toAbsolutePath().normalize();
    private static final Path MODEL = RES.resolve("models/qwen2-vl-f32");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** Conversation n of chat_messages.json as an OpenAI request: every image an image_url part holding a data URL (or a path). */
    private static ObjectNode request(int n, boolean dataUrls) throws Exception {
        ArrayNode messages = (ArrayNode) JSON.readTree(MODEL.resolve("chat_messages.json").toFile()).get(n);
        for (JsonNode m : messages) {
            if (!m.get("content").isArray()) continue;
            ArrayNode parts = (ArrayNode) m.get("content");
            for (int i = 0; i < parts.size(); i++) {
                JsonNode p = parts.get(i);
                String ref = p.has("image") ? p.get("image").asText() : p.path("image_url").path("url").asText(null);
                if (ref == null) continue;
                Path file = MODEL.resolve(ref).normalize();
                String url = dataUrls ? "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(file))
                        : "images/" + file.getFileName();
                ObjectNode part = JSON.createObjectNode().put("type", "image_url");
                part.putObject("image_url").put("url", url);
                parts.set(i, part);
            }
        }
        ObjectNode body = JSON.createObjectNode().put("model", "vl").put("max_tokens", 6).put("temperature", 0).put("ignore_eos", true);
        body.set("messages", messages);
        return body;
    }

    private HttpResponse<String> post(OpenAiServer server, ObjectNode body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String expected(Tokenizer tokenizer, int n) throws Exception {
        long[] ids = SafetensorsFile.open(MODEL.resolve("expected.safetensors")).tensor("greedy.chat." + n).toLongArray();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return tokenizer.decode(out, true);
    }

    private static String reply(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("choices").get(0).get("message").get("content").asText();
    }

    @Test
    void imageRequestsGetTransformersGreedyRepliesInOneBatch() throws Exception {
        Path media = Files.createTempDirectory("vl-media");
        Files.createDirectories(media.resolve("images"));
        for (String img : new String[]{"grid28x42.png", "rgb8_pil.png"}) Files.copy(RES.resolve("images/" + img), media.resolve("images/" + img));
        ServeConfig config = new ServeConfig("127.0.0.1", 0, List.of("vl"), null, 0, ServeConfig.DEFAULT_MAX_BODY_BYTES,
                new EngineConfig(4, 4, 512, EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS), media);
        try (OpenAiServer server = new OpenAiServer(GenerationSession.open(MODEL, LiveServer.load(MODEL)), config).start()) {
            Tokenizer tokenizer = Tokenizer.fromDirectory(MODEL);
            server.engine().pause(); // both queue first, then prefill and decode together
            List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
            for (int n = 0; n < 2; n++) {
                ObjectNode body = request(n, n == 0); // conversation 0 as data URLs, 1 as files under the allowed directory
                replies.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return post(server, body);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (server.engine().waiting() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(2, server.engine().waiting());
            server.engine().resume();
            for (int n = 0; n < 2; n++) assertEquals(expected(tokenizer, n), reply(replies.get(n).get()), "conversation " + n);
            // alone (a batch of one) the same again
            assertEquals(expected(tokenizer, 1), reply(post(server, request(1, true))));
            // 1 + 2 + 2 images through the vision tower, each request's once
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("\njswift_images_encoded_total 5\n"), metrics);

            ObjectNode outside = request(0, true);
            ((ObjectNode) outside.get("messages").get(0).get("content").get(0).get("image_url")).put("url", "../secret.png");
            HttpResponse<String> r = post(server, outside);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("outside --allowed_local_media_path"), r.body());
            ((ObjectNode) outside.get("messages").get(0).get("content").get(0).get("image_url")).put("url", "https://example.com/a.png");
            r = post(server, outside);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("remote images are not fetched"), r.body());
            ((ObjectNode) outside.get("messages").get(0).get("content").get(0).get("image_url")).put("url", "images/missing.png");
            r = post(server, outside);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("missing.png"), r.body());

            // a symbolic link inside the allowed directory that points outside it is refused (its real path is checked,
            // as vLLM resolves the file path), as a path and as a file:// URL; a link to a file inside it is followed
            Path outsideDir = Files.createTempDirectory("vl-outside");
            Path secret = Files.copy(RES.resolve("images/grid28x42.png"), outsideDir.resolve("secret.png"));
            Path link = Files.createSymbolicLink(media.resolve("images/link.png"), secret);
            Files.createSymbolicLink(media.resolve("escape"), outsideDir);
            for (String url : new String[]{"images/link.png", link.toUri().toString(), "escape/secret.png", media.resolve("escape/secret.png").toUri().toString()}) {
                ((ObjectNode) outside.get("messages").get(0).get("content").get(0).get("image_url")).put("url", url);
                r = post(server, outside);
                assertEquals(400, r.statusCode(), url + ": " + r.body());
                JsonNode error = JSON.readTree(r.body()).get("error");
                assertEquals("invalid_request_error", error.get("type").asText(), r.body());
                assertEquals("messages", error.get("param").asText(), r.body());
                assertTrue(error.get("message").asText().contains("outside --allowed_local_media_path"), r.body());
                assertTrue(error.get("message").asText().contains("symbolic link"), r.body());
            }
            Files.createSymbolicLink(media.resolve("images/inner.png"), media.resolve("images/grid28x42.png"));
            ObjectNode inner = request(1, false);
            JsonNode firstImage = null;
            for (JsonNode m : inner.get("messages")) {
                if (m.get("content").isArray()) for (JsonNode part : m.get("content")) {
                    if (firstImage == null && part.has("image_url") && part.get("image_url").get("url").asText().endsWith("grid28x42.png")) firstImage = part;
                }
            }
            assertNotNull(firstImage, "conversation 1 shows grid28x42.png");
            ((ObjectNode) firstImage.get("image_url")).put("url", "images/inner.png");
            assertEquals(expected(tokenizer, 1), reply(post(server, inner)), "a link to a file inside the directory");
        }
    }

    @Test
    void localFilesNeedAnAllowedDirectoryAndTextModelsRefuseImages() throws Exception {
        ServeConfig config = new ServeConfig("127.0.0.1", 0, List.of("vl"), null, 0, ServeConfig.DEFAULT_MAX_BODY_BYTES,
                new EngineConfig(1, 1, 512, EngineConfig.DEFAULT_MAX_NUM_BATCHED_TOKENS));
        try (OpenAiServer server = new OpenAiServer(GenerationSession.open(MODEL, LiveServer.load(MODEL)), config).start()) {
            HttpResponse<String> r = post(server, request(0, false));
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("local image files are refused"), r.body());
        }
        Path text = TinyChatModels.llamaWithTinyTokenizer(Files.createTempDirectory("vl-text"));
        try (OpenAiServer server = new OpenAiServer(GenerationSession.open(text, LiveServer.load(text)), config).start()) {
            HttpResponse<String> r = post(server, request(0, true));
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("holds an image, but this model reads text only"), r.body());
        }
    }
}
