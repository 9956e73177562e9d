package io.jswift.models.qwen2vl;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.vision.ImageMessages;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.models.vision.image.ImageFormatException;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Conversations with images against Qwen2VLProcessor.apply_chat_template + the processor + the model, as transformers
 * 5.18 ran them (tools/fixtures/qwen2vl_model_fixtures.py): rendered text, input_ids with each image's pad run expanded,
 * pixel values, logits and greedy tokens; ms-swift's {@code <image>} tags give the same ids.
 */
class Qwen2VlPromptsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<List<Map<String, Object>>> chats(Path dir) throws Exception {
        return JSON.readValue(dir.resolve("chat_messages.json").toFile(), new TypeReference<>() {});
    }

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32, 0", "qwen2-vl-f32, 1", "qwen2_5-vl-f32, 0", "qwen2_5-vl-f32, 1"})
    void chatWithImagesMatchesTheProcessorAndTheModel(String name, int n) throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture(name);
        JsonNode expected = JSON.readTree(dir.resolve("expected_chat.json").toFile()).get(n);
        SafetensorsFile exp = SafetensorsFile.open(dir.resolve("expected.safetensors"));
        Qwen2VlPrompts.Encoded e = Qwen2VlPrompts.fromDirectory(dir).encode(chats(dir).get(n), true, null, dir);
        assertEquals(expected.get("text").asText(), e.text());
        assertArrayEquals(JSON.convertValue(expected.get("input_ids"), int[].class), e.ids());
        assertArrayEquals(exp.tensor("pixel_values.chat." + n).toFloatArray(), e.images().pixelValues().toFloatArray());
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        long[] ids = new long[e.ids().length];
        for (int i = 0; i < ids.length; i++) ids[i] = e.ids()[i];
        try (var s = GradMode.noGrad()) {
            Tensor logits = model.forward(DecoderInput.of(Tensor.ofLongs(ids, 1, ids.length)), e.images(), 0).value();
            double err = relL2(logits, exp.tensor("logits.chat." + n));
            assertTrue(err < 1e-4, name + " chat " + n + " logits rel. L2 error " + err);
        }
        // the generator's prefill with images, then cached decode steps (no eos: transformers generated without one)
        TextGenerator.Result r = new TextGenerator(model, new int[0], null).generate(List.of(e.ids()), e.images(), SamplingParams.greedy(6), null).get(0);
        long[] got = new long[r.tokens().length];
        for (int i = 0; i < got.length; i++) got[i] = r.tokens()[i];
        assertArrayEquals(exp.tensor("greedy.chat." + n).toLongArray(), got, name + " chat " + n + " greedy");
    }

    /** ms-swift rows: {@code <image>} tags in string contents and the images apart; untagged images go first. */
    @Test
    void swiftImageTagsBecomeImageParts() throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture("qwen2-vl-f32");
        JsonNode expected = JSON.readTree(dir.resolve("expected_chat.json").toFile()).get(0);
        int[] ids = JSON.convertValue(expected.get("input_ids"), int[].class);
        Qwen2VlPrompts prompts = Qwen2VlPrompts.fromDirectory(dir);
        List<String> images = List.of("../../images/grid28x42.png");
        List<Map<String, Object>> tagged = List.of(Map.of("role", "user", "content", "<image>What is in the picture?"));
        assertArrayEquals(ids, prompts.encode(ImageMessages.withTaggedImages(tagged, images), true, null, dir).ids());
        List<Map<String, Object>> untagged = List.of(Map.of("role", "user", "content", "What is in the picture?"));
        assertArrayEquals(ids, prompts.encode(ImageMessages.withTaggedImages(untagged, images), true, null, dir).ids());
        // the second conversation: one tag for the second image in the text, the first image untagged (put first)
        List<Map<String, Object>> two = List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "<image>Compare <image> and <image>."));
        var parts = ImageMessages.withTaggedImages(two, List.of("a.png", "b.png", "c.png"));
        assertEquals("system", parts.get(0).get("role"));
        assertEquals(List.of(Map.of("type", "image", "image", "a.png"), Map.of("type", "text", "text", "Compare "),
                Map.of("type", "image", "image", "b.png"), Map.of("type", "text", "text", " and "),
                Map.of("type", "image", "image", "c.png"), Map.of("type", "text", "text", ".")), parts.get(1).get("content"));
        var tooMany = assertThrows(IllegalArgumentException.class, () -> ImageMessages.withTaggedImages(two, List.of("a.png")));
        assertEquals("the messages hold 3 <image> tags but 1 images are given", tooMany.getMessage());
    }

    @Test
    void dataUrlsAndFileUrlsLoadTheSameImage(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture("qwen2-vl-f32");
        Path png = dir.resolve("../../images/grid28x42.png").normalize();
        String data = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        Qwen2VlPrompts prompts = Qwen2VlPrompts.fromDirectory(dir);
        int[] expected = prompts.encode(chats(dir).get(0), true, null, dir).ids();
        for (String url : List.of(data, png.toUri().toString(), png.toString())) {
            var msgs = List.<Map<String, Object>>of(Map.of("role", "user", "content", List.of(
                    Map.of("type", "image_url", "image_url", Map.of("url", url)), Map.of("type", "text", "text", "What is in the picture?"))));
            Qwen2VlPrompts.Encoded e = prompts.encode(msgs, true, null, tmp);
            assertArrayEquals(expected, e.ids(), url.substring(0, 20));
        }
        Qwen2VlPrompts.Encoded text = prompts.encode(List.of(Map.of("role", "user", "content", "hi")), true, null, tmp);
        assertNull(text.images());
    }

    @Test
    void missingAndUndecodableImagesNameTheFile() throws Exception {
        Path dir = Qwen2VlGoldenTest.fixture("qwen2-vl-f32");
        Qwen2VlPrompts prompts = Qwen2VlPrompts.fromDirectory(dir);
        var missing = assertThrows(NoSuchFileException.class, () -> prompts.encode(List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "image", "image", "nope.png")))), true, null, dir));
        assertEquals(dir.resolve("nope.png") + ": image file does not exist", missing.getMessage());
        var bad = assertThrows(ImageFormatException.class, () -> prompts.encode(List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "image", "image", "../../images/bad_truncated.png")))), true, null, dir));
        assertTrue(bad.getMessage().startsWith(dir.resolve("../../images/bad_truncated.png").normalize() + ": "), bad.getMessage());
        var remote = assertThrows(IllegalArgumentException.class, () -> prompts.encode(List.of(Map.of("role", "user", "content",
                List.of(Map.of("type", "image_url", "image_url", Map.of("url", "https://example.com/a.png"))))), true, null, dir));
        assertTrue(remote.getMessage().contains("remote images are not fetched"), remote.getMessage());
    }
}
