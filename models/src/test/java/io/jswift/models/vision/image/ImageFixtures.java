package io.jswift.models.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The images and goldens written by tools/fixtures/qwen2vl_image_fixtures.py (transformers 5.18, Pillow 12.3). */
final class ImageFixtures {
    private ImageFixtures() {}

    static Path dir() {
        try {
            return Path.of(ImageFixtures.class.getResource("/images/smart_resize.json").toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Path image(String name) { return dir().resolve(name); }

    static SafetensorsFile expected() throws Exception { return SafetensorsFile.open(dir().resolve("expected.safetensors")); }

    /** Names of the golden tensors that start with {@code prefix}, with the prefix removed. */
    static List<String> names(SafetensorsFile f, String prefix) {
        List<String> out = new ArrayList<>();
        for (String n : f.names()) if (n.startsWith(prefix)) out.add(n.substring(prefix.length()));
        out.sort(null);
        return out;
    }

    /** A uint8 [H, W, 3] golden as an image. */
    static RgbImage rgb(SafetensorsFile f, String key) {
        Tensor t = f.tensor(key);
        double[] v = t.toDoubleArray();
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) (int) v[i];
        return new RgbImage((int) t.size(1), (int) t.size(0), b);
    }

    static JsonNode metadata(SafetensorsFile f, String key) throws Exception {
        return new ObjectMapper().readTree(f.metadata().get(key));
    }

    /** Largest per-sample difference, and how many samples differ. */
    record Diff(int max, int count) {}

    static Diff diff(RgbImage a, RgbImage b) {
        if (a.width() != b.width() || a.height() != b.height())
            throw new AssertionError("size " + a.width() + "x" + a.height() + " vs " + b.width() + "x" + b.height());
        int max = 0, count = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            int d = Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
            if (d > 0) count++;
            max = Math.max(max, d);
        }
        return new Diff(max, count);
    }
}
