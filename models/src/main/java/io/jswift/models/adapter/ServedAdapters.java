package io.jswift.models.adapter;

import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.ParamLoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.LoraWeights;
import io.jswift.nn.lora.MultiLora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PEFT adapter directories put on one frozen model together, for serving several adapters in one batch (vLLM's
 * --lora-modules): each adapter is read and checked by {@link PeftAdapter#load} on its own, its factors are kept, and
 * the model is unloaded again before the next; then all of them go on the model at once ({@link MultiLora#install}).
 */
public final class ServedAdapters {
    private ServedAdapters() {}

    /** Loads {@code adapters} (name → PEFT directory, in the order that numbers them) onto {@code model}. */
    public static MultiLora load(Module model, Map<String, Path> adapters) throws IOException {
        Map<String, Map<String, LoraWeights>> weights = new LinkedHashMap<>();
        for (var e : adapters.entrySet()) {
            PeftAdapter.load(e.getValue(), model);
            try {
                if (!ParamLoraInjector.find(model).isEmpty()) { // vLLM's multi-LoRA batches have no per-request expert deltas here
                    throw new IllegalArgumentException(e.getValue() + ": the adapter has target_parameters (LoRA on fused experts), which "
                            + "multi-adapter serving does not batch; merge it into the model first (jswift export --merge_lora true)");
                }
                Map<String, LoraWeights> layers = new LinkedHashMap<>();
                for (Map.Entry<String, LoraLinear> l : LoraInjector.find(model).entrySet()) layers.put(l.getKey(), LoraWeights.of(l.getValue()));
                weights.put(e.getKey(), layers);
            } finally {
                LoraInjector.unload(model);
            }
        }
        return MultiLora.install(model, weights);
    }
}
