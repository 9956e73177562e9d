package io.jswift.models.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import io.jswift.models.config.ConfigJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Qwen2VLImageProcessor's settings (also Qwen2.5-VL's, which uses the same processor), read where transformers 5 reads
 * them: the {@code "image_processor"} object of {@code processor_config.json} when there is one, else
 * {@code preprocessor_config.json} (image_processing_base.py's priority). Pixel limits: {@code size.shortest_edge /
 * longest_edge}, overridden by top-level {@code min_pixels / max_pixels} (the hub's layout), as the processor's
 * constructor does; absent keys take the processor class's defaults.
 */
public record Qwen2VlImageConfig(Resize resize, Pixels pixels, Patches patches) {
    /** CLIP's mean and std (transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD), the processor's defaults. */
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    /** PILImageResampling.BICUBIC, the only resample this port reproduces. */
    private static final int BICUBIC = 3;

    /** @param minPixels size.shortest_edge / min_pixels; @param maxPixels size.longest_edge / max_pixels */
    public record Resize(boolean enabled, long minPixels, long maxPixels) {}

    /** Rescale (x * factor, in double, then to f32) and normalize ((x - mean) / std in f32), each optional. */
    public record Pixels(boolean rescale, double rescaleFactor, boolean normalize, double[] mean, double[] std) {}

    /** @param mergeSize side of the square of patches the merger joins into one LLM token */
    public record Patches(int patchSize, int temporalPatchSize, int mergeSize) {
        /** The side every resized image is a multiple of. */
        public int factor() { return patchSize * mergeSize; }
    }

    public static Qwen2VlImageConfig defaults() {
        return new Qwen2VlImageConfig(new Resize(true, 56 * 56, 28 * 28 * 1280),
                new Pixels(true, 1 / 255.0, true, CLIP_MEAN.clone(), CLIP_STD.clone()), new Patches(14, 2, 2));
    }

    /** Reads a model or processor directory. */
    public static Qwen2VlImageConfig fromDirectory(Path dir) throws IOException {
        Path nested = dir.resolve("processor_config.json"), flat = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(nested)) {
            ConfigJson processor = ConfigJson.read(nested).optObject("image_processor");
            if (processor != null) return parse(processor);
        }
        if (Files.isRegularFile(flat)) return parse(ConfigJson.read(flat));
        throw new IOException(dir + ": no image processor settings (expected preprocessor_config.json, or processor_config.json"
                + " with an \"image_processor\" object)");
    }

    public static Qwen2VlImageConfig parse(ConfigJson c) {
        Qwen2VlImageConfig d = defaults();
        int resample = c.optInt("resample", BICUBIC);
        if (resample != BICUBIC)
            throw new IllegalArgumentException(c.file() + ": 'resample' is " + resample + "; only BICUBIC (3) is implemented");
        long shortest = d.resize.minPixels, longest = d.resize.maxPixels;
        ConfigJson size = c.optObject("size");
        if (size != null) { // a given size dict replaces the default one entirely
            shortest = size.optInt("shortest_edge", 0);
            longest = size.optInt("longest_edge", 0);
        }
        shortest = c.optInt("min_pixels", (int) shortest);
        longest = c.optInt("max_pixels", (int) longest);
        boolean doResize = c.optBool("do_resize", true);
        if (doResize && (shortest <= 0 || longest <= 0))
            throw new IllegalArgumentException(c.file() + ": 'size' needs 'shortest_edge' and 'longest_edge' (or give min_pixels and max_pixels)");
        Pixels pixels = new Pixels(c.optBool("do_rescale", true), c.optDouble("rescale_factor", 1 / 255.0),
                c.optBool("do_normalize", true), perChannel(c, "image_mean", CLIP_MEAN), perChannel(c, "image_std", CLIP_STD));
        Patches patches = new Patches(positive(c, "patch_size", 14), positive(c, "temporal_patch_size", 2), positive(c, "merge_size", 2));
        return new Qwen2VlImageConfig(new Resize(doResize, shortest, longest), pixels, patches);
    }

    private static int positive(ConfigJson c, String key, int fallback) {
        int v = c.optInt(key, fallback);
        if (v <= 0) throw new IllegalArgumentException(c.file() + ": '" + key + "' must be positive, got " + v);
        return v;
    }

    /** A number (used for every channel, as transformers' normalize does) or a list of three numbers. */
    private static double[] perChannel(ConfigJson c, String key, double[] fallback) {
        if (!c.has(key)) return fallback.clone();
        JsonNode n = c.root().get(key);
        if (n.isNumber()) return new double[]{n.asDouble(), n.asDouble(), n.asDouble()};
        if (n.isArray() && n.size() == 3) {
            double[] out = new double[3];
            for (int i = 0; i < 3; i++) {
                if (!n.get(i).isNumber()) throw new IllegalArgumentException(c.file() + ": '" + key + "' must hold numbers, got " + n);
                out[i] = n.get(i).asDouble();
            }
            return out;
        }
        throw new IllegalArgumentException(c.file() + ": '" + key + "' must be a number or a list of 3 numbers (R, G, B), got " + n);
    }
}
