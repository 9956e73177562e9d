package io.jswift.train.grpo;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The reward functions of a GRPO run, in --reward_funcs order, then the reward models of --reward_model (ms-swift's
 * order), with their weights: ms-swift's built-ins by name and those of --external_plugins jars (ServiceLoader over a
 * class loader of the jars). A plugin may not reuse a built-in name.
 */
public record RewardFunctions(List<RewardFunction> functions, double[] weights) {
    public static final List<String> BUILT_IN = List.of("accuracy", "format", "react_format", "cosine", "repetition", "soft_overlong");

    public RewardFunctions {
        functions = List.copyOf(functions);
        weights = weights.clone();
        if (functions.isEmpty()) throw new IllegalArgumentException("grpo needs at least one reward: --reward_funcs NAME ... and / or --reward_model DIR");
        if (functions.stream().map(RewardFunction::name).distinct().count() != functions.size()) {
            throw new IllegalArgumentException("two rewards are named alike " + functions.stream().map(RewardFunction::name).toList()
                    + ": each names a column of completions.jsonl and rewards/NAME in the logs");
        }
        if (weights.length != functions.size()) throw new IllegalArgumentException("one weight per reward function");
    }

    public static RewardFunctions load(RewardArgs args, int maxCompletionLength, ClassLoader parent) {
        if (!args.rewardModels().isEmpty()) throw new IllegalArgumentException("the reward models of --reward_model must be loaded and passed in");
        return load(args, maxCompletionLength, parent, List.of());
    }

    /** As {@link #load(RewardArgs, int, ClassLoader)}, {@code rewardModels} (loaded from --reward_model) scoring after the functions. */
    public static RewardFunctions load(RewardArgs args, int maxCompletionLength, ClassLoader parent, List<RewardFunction> rewardModels) {
        if (rewardModels.size() != args.rewardModels().size()) throw new IllegalArgumentException("one loaded reward model per --reward_model");
        Map<String, RewardFunction> plugins = plugins(args.externalPlugins(), parent);
        List<RewardFunction> out = new ArrayList<>();
        for (String name : args.rewardFuncs()) {
            RewardFunction f = plugins.containsKey(name) ? plugins.get(name) : builtIn(name, args, maxCompletionLength);
            if (f == null) {
                throw new IllegalArgumentException("unknown reward function '" + name + "': built-in ones are " + BUILT_IN
                        + (plugins.isEmpty() ? "; others come from --external_plugins jars" : ", plugins give " + plugins.keySet()));
            }
            out.add(f);
        }
        out.addAll(rewardModels);
        double[] w = new double[out.size()];
        for (int i = 0; i < w.length; i++) w[i] = args.rewardWeights() == null ? 1.0 : args.rewardWeights().get(i);
        return new RewardFunctions(out, w);
    }

    static RewardFunction builtIn(String name, RewardArgs a, int maxCompletionLength) {
        return switch (name) {
            case "accuracy" -> new AccuracyReward();
            case "format" -> RegexReward.format();
            case "react_format" -> RegexReward.reactFormat();
            case "cosine" -> new CosineReward(a.cosineMinLenValueWrong(), a.cosineMaxLenValueWrong(), a.cosineMinLenValueCorrect(),
                    a.cosineMaxLenValueCorrect(), a.cosineMaxLen() == null ? maxCompletionLength : a.cosineMaxLen(), new AccuracyReward());
            case "repetition" -> new RepetitionReward(a.repetitionNGrams(), a.repetitionMaxPenalty());
            case "soft_overlong" -> {
                if (a.softCacheLength() == null) throw new IllegalArgumentException("soft_overlong needs --soft_cache_length");
                yield new SoftOverlongReward(a.softMaxLength() == null ? maxCompletionLength : a.softMaxLength(), a.softCacheLength());
            }
            default -> null;
        };
    }

    /** The RewardFunction services of the jars, by name. */
    static Map<String, RewardFunction> plugins(List<Path> jars, ClassLoader parent) {
        Map<String, RewardFunction> out = new LinkedHashMap<>();
        if (jars.isEmpty()) return out;
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            if (!Files.isRegularFile(jar)) throw new IllegalArgumentException("--external_plugins " + jar + ": no such file");
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("--external_plugins " + jar + ": " + e.getMessage(), e);
            }
        }
        @SuppressWarnings("resource") // the plugins' classes stay loaded for the run
        URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), parent);
        try {
            for (RewardFunction f : ServiceLoader.load(RewardFunction.class, loader)) {
                if (BUILT_IN.contains(f.name())) throw new IllegalArgumentException("plugin " + f.getClass().getName() + " reuses the built-in name " + f.name());
                if (out.put(f.name(), f) != null) throw new IllegalArgumentException("two plugin reward functions are named " + f.name());
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("--external_plugins " + jars + ": cannot load a RewardFunction: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--external_plugins " + jars + " lists no " + RewardFunction.class.getName()
                    + " in META-INF/services/" + RewardFunction.class.getName());
        }
        return out;
    }

    /** Per completion, the rewards of each function ([function][completion]). */
    public double[][] score(List<RewardFunction.Sample> completions) {
        double[][] out = new double[functions.size()][];
        for (int f = 0; f < out.length; f++) {
            out[f] = functions.get(f).score(completions);
            if (out[f].length != completions.size()) {
                throw new IllegalStateException("reward " + functions.get(f).name() + " returned " + out[f].length + " scores for " + completions.size() + " completions");
            }
        }
        return out;
    }

    /** TRL's weighted nansum over the functions; NaN where every function returned NaN (unscorable). */
    public double[] combine(double[][] perFunction) {
        int n = perFunction[0].length;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            boolean any = false;
            for (int f = 0; f < perFunction.length; f++) {
                if (Double.isNaN(perFunction[f][i])) continue;
                any = true;
                out[i] += weights[f] * perFunction[f][i];
            }
            if (!any) out[i] = Double.NaN;
        }
        return out;
    }

    public List<String> names() { return functions.stream().map(RewardFunction::name).toList(); }
}
