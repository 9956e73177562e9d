package io.jswift.nn.lora;

import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.moe.RoutedExperts;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts {@link ParamLora} adapters on the parameters that {@code target_parameters} names (PEFT's
 * {@code _inject_parameters}), under the state-dict keys PEFT saves them with.
 *
 * <p>A parameter matches when {@code <module path>.<parameter name>} equals a target or ends with "." + target. PEFT
 * wraps the module once per adapted parameter, in the module's declaration order, each wrapper around the previous one,
 * so the last adapted parameter's {@code lora_A} / {@code lora_B} sit on the module itself and each earlier one's one
 * {@code base_layer.} deeper: with gate_up_proj and down_proj adapted, {@code experts.base_layer.lora_A.weight} is
 * gate_up_proj's and {@code experts.lora_A.weight} is down_proj's. The wrapped module keeps its own parameters' names.
 */
public final class ParamLoraInjector {
    /** PEFT's attribute name for the module a wrapper wraps. */
    static final String BASE_LAYER = "base_layer";

    private ParamLoraInjector() {}

    /**
     * Adapts every parameter of {@code model} that {@code config.targetParameters()} names; each name must match at least
     * one parameter, and every matched parameter must be 3-D. Returns the adapted parameters' paths in model order.
     */
    public static List<String> inject(Module model, LoraConfig config, Generator gen) {
        if (config.targetParameters().isEmpty()) return List.of();
        Map<String, Module> modules = model.namedModules();
        Map<Module, List<String>> byOwner = new LinkedHashMap<>();
        Map<Module, String> ownerPath = new IdentityHashMap<>();
        List<String> paths = new ArrayList<>();
        Set<String> matchedTargets = new LinkedHashSet<>();
        modules.forEach((path, m) -> {
            for (String name : ownParameters(m).keySet()) {
                String key = path.isEmpty() ? name : path + "." + name;
                for (String t : config.targetParameters()) {
                    if (!LoraConfig.nameMatches(t, key)) continue;
                    matchedTargets.add(t);
                    byOwner.computeIfAbsent(m, k -> new ArrayList<>()).add(name);
                    ownerPath.put(m, path);
                    paths.add(key);
                    break;
                }
            }
        });
        for (String t : config.targetParameters()) {
            if (!matchedTargets.contains(t)) {
                throw new IllegalArgumentException("target_parameters: '" + t + "' matches no parameter of the model; fused expert "
                        + "parameters here: " + available(modules));
            }
        }
        Map<String, Parameter> params = model.namedParameters();
        for (String path : paths) {
            Parameter p = params.get(path);
            if (p.shape().length != 3) {
                throw new IllegalArgumentException("target_parameters: " + path + " has shape " + Arrays.toString(p.shape())
                        + ", not 3-D: LoRA on a parameter is for the fused weights of experts [experts, ., .]");
            }
        }
        byOwner.forEach((owner, names) -> {
            if (owner.children().containsKey("lora_A") || owner.children().containsKey(BASE_LAYER)) {
                throw new IllegalStateException("the module of " + names + " already has LoRA adapters on its parameters");
            }
            Map<String, Parameter> own = ownParameters(owner);
            List<ParamLora> wrappers = new ArrayList<>();
            for (String name : names) {
                Parameter p = own.get(name);
                p.setRequiresGrad(false);
                String path = ownerPath.get(owner);
                ParamLora lora = new ParamLora(p, name, path.isEmpty() ? name : path + "." + name, transposed(owner), config, gen);
                lora.train(owner.isTraining());
                wrappers.add(lora);
            }
            ParamLora outer = wrappers.getLast();
            outer.children().forEach(owner::attachModule);
            Module holder = owner;
            for (int i = wrappers.size() - 2; i >= 0; i--) holder = holder.attachModule(BASE_LAYER, wrappers.get(i));
            for (ParamLora w : wrappers) w.target().parametrize(w);
        });
        return List.copyOf(paths);
    }

    /** Whether a module uses its fused weights as x·W[e] (PEFT reads transformers' {@code is_transposed}, default false). */
    private static boolean transposed(Module owner) {
        return owner instanceof RoutedExperts experts && experts.transposedWeights();
    }

    /**
     * Every parameter adapter under {@code model} by the path its {@code lora_A.weight} / {@code lora_B.weight} sit
     * under (e.g. {@code model.layers.1.mlp.experts.base_layer}), in model order.
     */
    public static Map<String, ParamLora> find(Module model) {
        Map<String, ParamLora> out = new LinkedHashMap<>();
        Map<Parameter, String> keys = new IdentityHashMap<>();
        Map<String, Parameter> params = model.namedParameters();
        params.forEach((k, p) -> keys.putIfAbsent(p, k));
        for (Parameter p : params.values()) {
            if (!(p.parametrization() instanceof ParamLora lora)) continue;
            String aKey = keys.get(lora.adapterParameters().get("lora_A.weight"));
            if (aKey != null) out.put(aKey.substring(0, aKey.length() - ".lora_A.weight".length()), lora);
        }
        return out;
    }

    /** Removes every parameter adapter (PEFT's unload): the parameters read their stored values again. Returns their paths. */
    public static List<String> unload(Module model) {
        Map<String, ParamLora> adapters = find(model);
        Map<String, Module> modules = model.namedModules();
        for (var e : adapters.entrySet()) {
            e.getValue().target().parametrize(null);
            String path = e.getKey();
            if (path.endsWith("." + BASE_LAYER)) continue; // goes with its outermost wrapper's module
            Module owner = path.isEmpty() ? model : modules.get(path);
            for (String child : List.of("lora_A", "lora_B", BASE_LAYER)) {
                if (owner.children().containsKey(child)) owner.detachModule(child);
            }
        }
        return List.copyOf(adapters.keySet());
    }

    /**
     * PEFT's merge_and_unload for parameter adapters: every adapted parameter takes W + s·ΔW in its dtype, then the
     * adapters are removed. Nothing changes when a merged weight is not finite (the error names the adapter).
     */
    public static List<String> mergeAndUnload(Module model) {
        Map<String, ParamLora> adapters = find(model);
        Map<ParamLora, Tensor> merged = new IdentityHashMap<>();
        for (var e : adapters.entrySet()) {
            try {
                merged.put(e.getValue(), e.getValue().mergedWeight());
            } catch (IllegalStateException ex) {
                throw new IllegalStateException(e.getKey() + " (" + e.getValue().parameterName() + "): " + ex.getMessage(), ex);
            }
        }
        unload(model);
        merged.forEach((lora, w) -> lora.target().setValue(w));
        return List.copyOf(adapters.keySet());
    }

    /** The parameters a module registers itself (not its children's), by name. */
    private static Map<String, Parameter> ownParameters(Module m) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> {
            int dot = k.indexOf('.');
            if (dot < 0 || !m.children().containsKey(k.substring(0, dot))) out.put(k, p);
        });
        return out;
    }

    /** The 3-D parameters of the model as one would write them in target_parameters (module name + parameter name). */
    private static String available(Map<String, Module> modules) {
        Set<String> names = new LinkedHashSet<>();
        modules.forEach((path, m) -> ownParameters(m).forEach((n, p) -> {
            if (p.shape().length == 3) names.add(path.substring(path.lastIndexOf('.') + 1) + "." + n);
        }));
        return names.isEmpty() ? "(none: the model has no 3-D parameter)" : String.join(", ", names);
    }
}
