package io.jswift.models.load;

import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.vit.VitForImageClassification;
import io.jswift.models.vit.VitModel;
import io.jswift.nn.Module;

/** A model read from a Hugging Face directory: one of the supported families. */
public sealed interface LoadedModel {
    Module module();

    // the model type's full name: the simple name CausalLm here is this record
    record CausalLm(io.jswift.models.CausalLm model) implements LoadedModel {
        public Module module() { return model; }
    }

    /** A decoder with a score head (*ForSequenceClassification; a reward model when it has one label). */
    record SequenceClassifier(DecoderClassifier model) implements LoadedModel {
        public Module module() { return model; }
    }

    record Vit(VitModel model) implements LoadedModel {
        public Module module() { return model; }
    }

    record VitClassifier(VitForImageClassification model) implements LoadedModel {
        public Module module() { return model; }
    }
}
