package io.jswift.nn.lora;

import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;
import io.jswift.tensor.Generator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts a LoRA/DoRA adapter on a model in place (PEFT's {@code inject_adapter}): every targeted linear layer
 * (any {@link LinearBase}: dense or 4-bit) is replaced by a {@link LoraLinear} around it, then every parameter that
 * target_parameters names gets a {@link ParamLora} ({@link ParamLoraInjector}, after the modules as PEFT), and every
 * other parameter is frozen without being copied.
 */
public final class LoraInjector {
    /**
     * PEFT's all-linear leaves out the output layer: lm_head in causal LMs (get_output_embeddings()), and the score head of
     * a *ForSequenceClassification, which PEFT's SEQ_CLS task trains whole (modules_to_save) instead of adapting.
     */
    private static final List<String> OUTPUT_LAYERS = List.of("lm_head", "score");

    private LoraInjector() {}

    /**
     * Wraps the linear layers named by {@code config.targetModules()} (and adapts the parameters named by
     * {@code config.targetParameters()}) and returns the wrapped layers' dotted paths in model order; each target name
     * must match at least one linear layer (parameter).
     */
    public static List<String> inject(Module model, LoraConfig config, Generator gen) {
        return inject(model, config, gen, true);
    }

    /**
     * As {@link #inject(Module, LoraConfig, Generator)}; with {@code everyTargetMustMatch} false only the whole
     * list must match something (PEFT's rule when it loads an adapter whose list names layers a model lacks).
     */
    public static List<String> inject(Module model, LoraConfig config, Generator gen, boolean everyTargetMustMatch) {
        Map<String, Module> modules = model.namedModules();
        Map<String, LoraLinear> existing = find(model);
        Map<String, ParamLora> existingParams = ParamLoraInjector.find(model);
        if (!existing.isEmpty() || !existingParams.isEmpty()) {
            String first = existing.isEmpty() ? existingParams.keySet().iterator().next() : existing.keySet().iterator().next();
            throw new IllegalStateException("the model already has LoRA adapters (on " + first + ", ...): only one adapter at a time is supported");
        }
        List<String> linears = new ArrayList<>();
        modules.forEach((path, m) -> { if (m instanceof LinearBase && !path.isEmpty()) linears.add(path); });
        List<String> targets = config.targetModules().isEmpty() ? List.of()
                : config.allLinear() ? allLinear(linears) : named(modules, linears, config, everyTargetMustMatch);
        if (targets.isEmpty() && !config.targetModules().isEmpty()) {
            throw new IllegalArgumentException("target_modules " + config.targetModules() + " match no linear layer; "
                    + "available: " + available(linears));
        }
        for (String path : targets) {
            if (config.patternMatches(path)) { // PEFT's own rank/alpha per module is not implemented for linear layers
                throw new IllegalArgumentException("rank_pattern / alpha_pattern " + config.rankPattern() + " " + config.alphaPattern()
                        + " name the linear layer " + path + ": jswift applies them to target_parameters only");
            }
        }
        model.requiresGrad(false);
        for (String path : targets) {
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            String name = path.substring(dot + 1);
            Module linear = modules.get(path);
            LoraLinear wrapper = new LoraLinear((LinearBase) linear, config, gen);
            wrapper.train(linear.isTraining());
            parent.replaceModule(name, wrapper);
        }
        try {
            ParamLoraInjector.inject(model, config, gen);
        } catch (RuntimeException e) {
            unload(model);
            throw e;
        }
        return List.copyOf(targets);
    }

    /**
     * PEFT's unload(): puts the original Linears back (unmerged) and removes parameter adapters, dropping the adapters;
     * returns the Linears' paths.
     */
    public static List<String> unload(Module model) {
        ParamLoraInjector.unload(model);
        Map<String, LoraLinear> adapters = find(model);
        Map<String, Module> modules = model.namedModules();
        adapters.forEach((path, l) -> {
            int dot = path.lastIndexOf('.');
            Module parent = dot < 0 ? model : modules.get(path.substring(0, dot));
            parent.replaceModule(path.substring(dot + 1), l.unwrapped());
        });
        return List.copyOf(adapters.keySet());
    }

    /** Every adapter-wrapped layer under {@code model} by dotted path, in model order. */
    public static Map<String, LoraLinear> find(Module model) {
        Map<String, LoraLinear> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> { if (m instanceof LoraLinear l) out.put(path, l); });
        return out;
    }

    private static List<String> allLinear(List<String> linears) {
        List<String> out = new ArrayList<>();
        for (String p : linears) if (!OUTPUT_LAYERS.contains(p)) out.add(p);
        return out;
    }

    private static List<String> named(Map<String, Module> modules, List<String> linears, LoraConfig config, boolean everyTargetMustMatch) {
        for (var e : modules.entrySet()) {
            if (!e.getKey().isEmpty() && !(e.getValue() instanceof LinearBase) && config.targets(e.getKey())) {
                throw new IllegalArgumentException("target_modules names '" + e.getKey() + "', a " + e.getValue().getClass().getSimpleName()
                        + ": LoRA wraps linear layers only (available: " + available(linears) + ")");
            }
        }
        if (everyTargetMustMatch) {
            for (String t : config.targetModules()) {
                if (linears.stream().noneMatch(p -> LoraConfig.nameMatches(t, p))) {
                    throw new IllegalArgumentException("target_modules: '" + t + "' matches no linear layer; available: " + available(linears));
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String p : linears) if (config.targets(p)) out.add(p);
        return out;
    }

    /** Linear layer names as one would write them in target_modules (last path segments), e.g. q_proj, k_proj. */
    private static String available(List<String> linears) {
        Set<String> names = new LinkedHashSet<>();
        for (String p : linears) names.add(p.substring(p.lastIndexOf('.') + 1));
        return names.isEmpty() ? "(the model has no linear layers)" : String.join(", ", names);
    }
}
