package io.jswift.models.load;

import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.vit.VitForImageClassification;
import io.jswift.models.vit.VitModel;
import io.jswift.nn.Module;

/** A model read from a Hugging Face directory: one of the supported families. */
public sealed interface LoadedModel {
    Module module();

    record CausalLm(DecoderLm model) implements LoadedModel {
        public Module module() { return model; }
    }

    record Vit(VitModel model) implements LoadedModel {
        public Module module() { return model; }
    }

    record VitClassifier(VitForImageClassification model) implements LoadedModel {
        public Module module() { return model; }
    }
}
