package io.jswift.models.qwen2vl;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvCache;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.vision.VisionInput;
import io.jswift.models.vision.image.GridThw;
import io.jswift.models.vision.image.ImageLoader;
import io.jswift.models.vision.image.Qwen2VlImageConfig;
import io.jswift.models.vision.image.Qwen2VlImageProcessor;
import io.jswift.models.vision.image.Qwen2VlPixels;
import io.jswift.models.vision.image.RgbImage;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2-VL (transformers 5 layout, untied head) and Qwen2.5-VL (hub layout, tied head, window attention) against what
 * transformers 5.18 computed in float64 (tools/fixtures/qwen2vl_model_fixtures.py): image features, M-RoPE positions
 * and deltas, logits for one and two images, greedy tokens decoded with the KV cache.
 */
class Qwen2VlGoldenTest {
    static Path fixture(String name) throws Exception {
        return Path.of(Qwen2VlGoldenTest.class.getResource("/models/" + name + "/config.json").toURI()).getParent();
    }

    static Qwen2VlForConditionalGeneration load(String name) throws Exception {
        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(fixture(name), false)).model();
        return (Qwen2VlForConditionalGeneration) lm;
    }

    static VisionInput vision(SafetensorsFile exp, String key) {
        long[] thw = exp.tensor("image_grid_thw." + key).toLongArray();
        List<GridThw> grids = new ArrayList<>();
        for (int i = 0; i < thw.length; i += 3) grids.add(new GridThw((int) thw[i], (int) thw[i + 1], (int) thw[i + 2]));
        return new VisionInput(exp.tensor("pixel_values." + key).to(DType.F32), grids);
    }

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32, one", "qwen2-vl-f32, two", "qwen2_5-vl-f32, one", "qwen2_5-vl-f32, two"})
    void imageFeaturesMatchTransformers(String name, String key) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        try (var s = GradMode.noGrad()) {
            Tensor features = model.visual().forward(vision(exp, key)).value();
            double err = relL2(features, exp.tensor("image_features." + key));
            assertTrue(err < 1e-5, name + " " + key + " image features rel. L2 error " + err);
        }
    }

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32, one", "qwen2-vl-f32, two", "qwen2_5-vl-f32, one", "qwen2_5-vl-f32, two"})
    void ropeIndexMatchesGetRopeIndex(String name, String key) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids." + key);
        MropeIndex index = MropeIndex.of(ids.toLongArray(), null, 1, ids.size(1), model.vlConfig().imageTokenId(),
                vision(exp, key).grids(), model.vlConfig().vision().spatialMergeSize());
        assertArrayEquals(exp.tensor("position_ids." + key).toLongArray(), index.positions());
        assertArrayEquals(exp.tensor("rope_deltas." + key).toLongArray(), index.deltas());
    }

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32, one", "qwen2-vl-f32, two", "qwen2_5-vl-f32, one", "qwen2_5-vl-f32, two"})
    void logitsWithImagesMatchTransformers(String name, String key) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids." + key);
        try (var s = GradMode.noGrad()) {
            Tensor logits = model.forward(DecoderInput.of(ids), vision(exp, key), 0).value();
            double err = relL2(logits, exp.tensor("logits." + key));
            assertTrue(err < 1e-4, name + " " + key + " logits rel. L2 error " + err);
        }
    }

    /** Prefill with the images, then one token at a time from the cache at index + rope delta: transformers' greedy tokens. */
    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32, one", "qwen2-vl-f32, two", "qwen2_5-vl-f32, one", "qwen2_5-vl-f32, two"})
    void greedyDecodeWithTheCacheMatchesGenerate(String name, String key) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids." + key);
        long[] expected = exp.tensor("greedy." + key).toLongArray();
        int t = ids.size(1);
        long[] all = new long[t + expected.length];
        System.arraycopy(ids.toLongArray(), 0, all, 0, t);
        try (var s = GradMode.noGrad()) {
            KvCache cache = model.newCache(1, t + expected.length);
            Tensor logits = model.forward(new DecoderInput(ids, null, null, cache, false), vision(exp, key), 1).value();
            long[] got = new long[expected.length];
            List<Tensor> steps = new ArrayList<>();
            for (int i = 0; i < expected.length; i++) {
                steps.add(logits.reshape(-1));
                got[i] = argmax(logits.reshape(-1).toFloatArray());
                all[t + i] = got[i];
                if (i + 1 < expected.length) {
                    logits = model.forward(new DecoderInput(Tensor.ofLongs(new long[]{got[i]}, 1, 1), null, null, cache, false), 1).value();
                }
            }
            assertArrayEquals(expected, got, name + " " + key);
            // each cached step equals a full forward over prompt + the tokens generated so far (up to a generated image
            // token: the random model may emit one, which a full forward would take for a placeholder)
            int m = 0;
            while (m < expected.length - 1 && got[m] != model.vlConfig().imageTokenId()) m++;
            long[] prefix = java.util.Arrays.copyOf(all, t + m);
            Tensor full = model.forward(DecoderInput.of(Tensor.ofLongs(prefix, 1, prefix.length)), vision(exp, key), 0).value();
            for (int i = 0; i <= m; i++) {
                double err = relL2(steps.get(i), full.narrow(1, t - 1 + i, 1).reshape(-1));
                assertTrue(err < 1e-5, name + " " + key + " cached step " + i + " vs full forward: " + err);
            }
        }
    }

    /** The Java image processor's pixels (bit-exact with transformers', checked in vision.image) feed the same logits. */
    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32", "qwen2_5-vl-f32"})
    void processorPixelsFromTheImageFilesGiveTheSameLogits(String name) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        Qwen2VlImageProcessor processor = new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(fixture(name)));
        Path images = Path.of(Qwen2VlGoldenTest.class.getResource("/images/rgb8_pil.png").toURI()).getParent();
        List<RgbImage> rgb = List.of(ImageLoader.read(images.resolve("rgb8_pil.png")), ImageLoader.read(images.resolve("grid28x42.png")));
        Qwen2VlPixels pixels = processor.preprocess(rgb);
        assertArrayEquals(exp.tensor("pixel_values.two").toFloatArray(), pixels.values());
        try (var s = GradMode.noGrad()) {
            Tensor logits = model.forward(DecoderInput.of(exp.tensor("input_ids.two")), VisionInput.of(pixels), 0).value();
            assertTrue(relL2(logits, exp.tensor("logits.two")) < 1e-4);
        }
    }

    @ParameterizedTest
    @CsvSource({"qwen2-vl-f32"})
    void mismatchedImagesAndPlaceholdersFailClearly(String name) throws Exception {
        Qwen2VlForConditionalGeneration model = load(name);
        SafetensorsFile exp = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"));
        try (var s = GradMode.noGrad()) {
            var noImages = assertThrows(IllegalArgumentException.class, () -> model.forward(DecoderInput.of(exp.tensor("input_ids.one"))));
            assertTrue(noImages.getMessage().contains("6 image tokens (id 261) but no images"), noImages.getMessage());
            var tooMany = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(DecoderInput.of(exp.tensor("input_ids.one")), vision(exp, "two"), 0));
            assertTrue(tooMany.getMessage().contains("6 image tokens, 21 features"), tooMany.getMessage());
        }
    }

    private static long argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
