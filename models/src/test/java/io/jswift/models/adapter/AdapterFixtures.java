package io.jswift.models.adapter;

import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Tensor;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Paths of the committed fixtures (tools/fixtures/make_tiny_models.py, make_peft_adapters.py) and comparisons. */
final class AdapterFixtures {
    private AdapterFixtures() {}

    static Path resources() {
        try {
            return Path.of(AdapterFixtures.class.getResource("/adapters/README.md").toURI()).getParent().getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path model(String name) { return resources().resolve("models").resolve(name); }

    static Path adapter(String name) { return resources().resolve("adapters").resolve(name); }

    static DecoderLm load(Path dir) throws java.io.IOException {
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

    /** ‖a - b‖ / ‖b‖ over all elements. */
    static double relL2(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        assertEquals(y.length, x.length, "element count");
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
