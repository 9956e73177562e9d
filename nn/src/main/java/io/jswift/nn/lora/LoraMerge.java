package io.jswift.nn.lora;

import io.jswift.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PEFT's {@code merge_and_unload}: folds every adapter into its base weight and puts plain Linears back; parameter
 * adapters (target_parameters) are folded into their fused parameters ({@link ParamLoraInjector#mergeAndUnload}).
 */
public final class LoraMerge {
    private LoraMerge() {}

    /**
     * Replaces each {@link LoraLinear} under {@code model} by its wrapped Linear holding the merged weight in the
     * base weight's dtype; returns the merged paths. When a merged weight is not finite nothing changes and the
     * error names the layer. The paths of merged parameter adapters follow the layers'.
     */
    public static List<String> mergeAndUnload(Module model) {
        for (var e : ParamLoraInjector.find(model).entrySet()) e.getValue().mergedWeight(); // fails before anything changes
        Map<String, LoraLinear> adapters = LoraInjector.find(model);
        List<LoraLinear> mergedHere = new ArrayList<>();
        for (var e : adapters.entrySet()) {
            LoraLinear l = e.getValue();
            if (l.merged()) continue;
            try {
                l.merge();
                mergedHere.add(l);
            } catch (IllegalStateException ex) {
                for (LoraLinear done : mergedHere) done.unmerge();
                throw new IllegalStateException(e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        Map<String, Module> modules = model.namedModules();
        for (var e : adapters.entrySet()) {
            String path = e.getKey();
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            parent.replaceModule(path.substring(dot + 1), e.getValue().mergedBase());
        }
        List<String> out = new ArrayList<>(adapters.keySet());
        out.addAll(ParamLoraInjector.mergeAndUnload(model));
        return List.copyOf(out);
    }
}
