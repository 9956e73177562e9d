package io.jswift.models.adapter;

import static io.jswift.tensor.testing.TensorAssert.relL2;

import io.jswift.models.CausalLm;
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

    static CausalLm load(Path dir) throws java.io.IOException {
        return ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
    }

}
