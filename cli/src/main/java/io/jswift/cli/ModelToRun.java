package io.jswift.cli;

import io.jswift.models.CausalLm;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.arch.Architectures;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Device;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The model that {@code infer}, {@code logits} and {@code deploy} run: {@code --model} loaded frozen (quantized to 4 bits
 * as it loads when the quantization flags ask), the adapter of {@code --adapters} applied, then moved to the device as
 * a whole (loaded on the host, memory-mapped, then copied).
 */
final class ModelToRun {
    private ModelToRun() {}

    static LoadedModel load(Path model, Path adapters, QuantOptions quant, Device device) throws IOException {
        return ready(ModelLoader.load(model, false, quant.resolve(model, null)), model, adapters, device);
    }

    /**
     * As {@link #load}, for a command that needs a causal LM: any other model fails before its adapter is read, with
     * {@code what} ("infer chats with") and the supported architectures.
     */
    static CausalLm causalLm(Path model, Path adapters, QuantOptions quant, Device device, String what) throws IOException {
        LoadedModel loaded = ModelLoader.load(model, false, quant.resolve(model, null));
        if (!(loaded instanceof LoadedModel.CausalLm lm)) {
            throw new IllegalArgumentException(model + " is not a causal language model: jswift " + what + " " + Architectures.supportedCausalLms());
        }
        if (!(ready(loaded, model, adapters, device) instanceof LoadedModel.CausalLm)) {
            throw new IllegalArgumentException(adapters + " is a sequence classifier's adapter (task_type SEQ_CLS, a reward model): jswift " + what
                    + " a causal LM; score with jswift logits --adapters " + adapters + " instead");
        }
        return lm.model();
    }

    /** The adapter applied (a SEQ_CLS adapter turns a causal LM into its sequence classifier) and the whole moved to {@code device}. */
    private static LoadedModel ready(LoadedModel loaded, Path model, Path adapters, Device device) throws IOException {
        LoadedModel ready = adapters == null ? loaded : PeftAdapter.apply(loaded, adapters, model);
        ready.module().to(device);
        return ready;
    }
}
