package io.jswift.nn.lora;

import io.jswift.nn.Module;

import java.util.ArrayList;
import java.util.List;

/**
 * A scope in which every LoRA / DoRA layer of a model forwards through its base layer alone, so the model with
 * adapters gives the base model's outputs (PEFT's {@code with model.disable_adapter():}): TRL's reference model for
 * preference training of an adapter is the same model inside this scope. Layers already disabled when the scope
 * opens stay disabled when it closes (scopes nest). A merged adapter cannot be disabled (its delta is in the weight).
 *
 * <pre>{@code try (AdaptersDisabled ignored = AdaptersDisabled.in(model)) { reference = model.forward(...); }}</pre>
 */
public final class AdaptersDisabled implements AutoCloseable {
    private final List<LoraLinear> switched;
    private final List<ParamLora> switchedParams; // target_parameters adapters: the parameters read W alone

    private AdaptersDisabled(List<LoraLinear> switched, List<ParamLora> switchedParams) {
        this.switched = switched;
        this.switchedParams = switchedParams;
    }

    /** Disables the adapters of every LoRA / DoRA layer under {@code model} until {@link #close()}. */
    public static AdaptersDisabled in(Module model) {
        List<LoraLinear> switched = new ArrayList<>();
        try {
            for (LoraLinear layer : LoraInjector.find(model).values()) {
                if (layer.disabled()) continue;
                layer.setDisabled(true);
                switched.add(layer);
            }
        } catch (RuntimeException e) {
            for (LoraLinear layer : switched) layer.setDisabled(false);
            throw e;
        }
        List<ParamLora> params = new ArrayList<>();
        for (ParamLora p : ParamLoraInjector.find(model).values()) {
            if (p.disabled()) continue;
            p.setDisabled(true);
            params.add(p);
        }
        return new AdaptersDisabled(switched, params);
    }

    /** How many layers this scope switched off. */
    public int layers() { return switched.size() + switchedParams.size(); }

    @Override
    public void close() {
        for (LoraLinear layer : switched) layer.setDisabled(false);
        for (ParamLora p : switchedParams) p.setDisabled(false);
    }
}
