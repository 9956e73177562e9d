package io.jswift.models.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.config.ConfigJson;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * pixel_values and image_grid_thw equal the slow (PIL) Qwen2VLImageProcessor's for a batch of images per processor
 * config, from the image files through decoding, resize, rescale, normalize and patchify: bit for bit (the resized
 * pixels are exact, and rescale / normalize do numpy's f64 / f32 operations in the same order).
 */
class Qwen2VlImageProcessorGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny", "hub", "nested"})
    void pixelValuesAndGridEqualTransformers(String config) throws Exception {
        SafetensorsFile f = ImageFixtures.expected();
        assertEquals("Qwen2VLImageProcessorPil", ImageFixtures.metadata(f, "processors").get(config).asText());
        List<RgbImage> images = new ArrayList<>();
        for (JsonNode n : ImageFixtures.metadata(f, "batches").get(config)) images.add(ImageLoader.read(ImageFixtures.image(n.asText())));
        Qwen2VlPixels got = new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(ImageFixtures.dir().resolve(config))).preprocess(images);

        long[] grid = f.tensor("image_grid_thw." + config).toLongArray();
        long[] gotGrid = got.grids().stream().flatMapToLong(g -> LongStream.of(g.t(), g.h(), g.w())).toArray();
        assertArrayEquals(grid, gotGrid, config + " image_grid_thw");

        var want = f.tensor("pixel_values." + config);
        assertEquals(want.size(1), got.patchDim());
        assertEquals(want.size(0), got.rows());
        float[] w = want.toFloatArray();
        int differ = 0;
        for (int i = 0; i < w.length; i++) if (Float.floatToIntBits(w[i]) != Float.floatToIntBits(got.values()[i])) differ++;
        assertEquals(0, differ, config + ": " + differ + " of " + w.length + " pixel values differ");
    }

    /** processor_config.json's "image_processor" wins over preprocessor_config.json; size.* read, mean/std per channel. */
    @Test
    void nestedProcessorConfigTakesPriority() throws Exception {
        Qwen2VlImageConfig c = Qwen2VlImageConfig.fromDirectory(ImageFixtures.dir().resolve("nested"));
        assertEquals(new Qwen2VlImageConfig.Resize(true, 400, 1000), c.resize());
        assertEquals(new Qwen2VlImageConfig.Patches(5, 2, 2), c.patches());
        assertArrayEquals(new double[]{0.5, 0.4, 0.3}, c.pixels().mean());
        assertArrayEquals(new double[]{0.2, 0.25, 0.3}, c.pixels().std());
    }

    /** The hub's layout: top-level min_pixels / max_pixels, no size dict. */
    @Test
    void hubLayoutReadsMinAndMaxPixels() throws Exception {
        Qwen2VlImageConfig c = Qwen2VlImageConfig.fromDirectory(ImageFixtures.dir().resolve("hub"));
        assertEquals(new Qwen2VlImageConfig.Resize(true, 3136, 12845056), c.resize());
        assertEquals(new Qwen2VlImageConfig.Patches(14, 2, 2), c.patches());
        assertEquals(Qwen2VlImageConfig.defaults().pixels().rescaleFactor(), c.pixels().rescaleFactor(), 1e-17);
    }

    @Test
    void gridMatchesWhatPreprocessProduces() throws Exception {
        Qwen2VlImageProcessor p = new Qwen2VlImageProcessor(Qwen2VlImageConfig.fromDirectory(ImageFixtures.dir().resolve("tiny")));
        RgbImage img = ImageLoader.read(ImageFixtures.image("tall.png"));
        assertEquals(p.preprocess(List.of(img)).grids().getFirst(), p.grid(img.height(), img.width()));
    }

    /** do_resize off: an image already on the grid gives the same values; one off the grid is refused, not cropped. */
    @Test
    void withoutResizeTheImageMustBeOnTheGrid() throws Exception {
        Qwen2VlImageConfig tiny = Qwen2VlImageConfig.fromDirectory(ImageFixtures.dir().resolve("tiny"));
        Qwen2VlImageConfig noResize = new Qwen2VlImageConfig(new Qwen2VlImageConfig.Resize(false, 0, 0), tiny.pixels(), tiny.patches());
        RgbImage onGrid = ImageLoader.read(ImageFixtures.image("grid28x42.png"));
        assertArrayEquals(new Qwen2VlImageProcessor(tiny).preprocess(List.of(onGrid)).values(),
                new Qwen2VlImageProcessor(noResize).preprocess(List.of(onGrid)).values());
        RgbImage offGrid = ImageLoader.read(ImageFixtures.image("gray8.png"));
        var e = assertThrows(IllegalArgumentException.class, () -> new Qwen2VlImageProcessor(noResize).preprocess(List.of(offGrid)));
        assertTrue(e.getMessage().contains("40x30") && e.getMessage().contains("do_resize"), e.getMessage());
    }

    @Test
    void badSettingsNameTheFileAndKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, "{\"resample\": 2}");
        var e = assertThrows(IllegalArgumentException.class, () -> Qwen2VlImageConfig.fromDirectory(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("resample"), e.getMessage());
        Files.writeString(file, "{\"image_mean\": [0.5, 0.5]}");
        e = assertThrows(IllegalArgumentException.class, () -> Qwen2VlImageConfig.fromDirectory(dir));
        assertTrue(e.getMessage().contains("image_mean"), e.getMessage());
        Files.writeString(file, "{\"size\": {\"height\": 224, \"width\": 224}}");
        e = assertThrows(IllegalArgumentException.class, () -> Qwen2VlImageConfig.fromDirectory(dir));
        assertTrue(e.getMessage().contains("shortest_edge"), e.getMessage());
        Files.delete(file);
        var io = assertThrows(IOException.class, () -> Qwen2VlImageConfig.fromDirectory(dir));
        assertTrue(io.getMessage().contains("preprocessor_config.json"), io.getMessage());
        assertEquals(Qwen2VlImageConfig.defaults().patches(), Qwen2VlImageConfig.parse(ConfigJson.of(file,
                new ObjectMapper().readTree("{}"))).patches());
    }
}
