package io.jswift.nn.lora;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One LoRA adapter's hyper-parameters, named as PEFT's {@code LoraConfig}: rank {@code r}, {@code lora_alpha},
 * {@code lora_dropout}, {@code use_rslora}, {@code use_dora} and {@code target_modules}.
 *
 * <p>{@code targetModules} is either {@code ["all-linear"]} (every linear layer except the output layer
 * {@code lm_head}, as PEFT) or module names; a module is targeted when its dotted path equals a name or ends
 * with "." + name (PEFT's {@code check_target_module_exists}), so {@code q_proj} and
 * {@code model.layers.0.self_attn.q_proj} both work.
 *
 * <p>{@code targetParameters} (PEFT's {@code target_parameters}, ms-swift's {@code --target_parameters}) names 3-D
 * parameters, the fused MoE experts, by the same suffix rule on their dotted path (e.g.
 * {@code mlp.experts.gate_up_proj}); see {@link ParamLora}. With target parameters, target_modules may be empty.
 * {@code rankPattern} / {@code alphaPattern} (PEFT's rank_pattern / alpha_pattern: regex → r / alpha for the targets
 * whose key matches {@code (.*\.)?(regex)}) apply to target parameters only here: PEFT writes them when it turns an
 * all-linear list into target_parameters (gate_up_proj fuses two layers: rank 2r, alpha 2·alpha).
 */
public record LoraConfig(int r, double alpha, double dropout, boolean useRslora, boolean useDora, List<String> targetModules,
                         List<String> targetParameters, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern) {
    /** PEFT's shorthand for every linear layer but the output layer. */
    public static final String ALL_LINEAR = "all-linear";

    /** No target parameters: linear layers only. */
    public LoraConfig(int r, double alpha, double dropout, boolean useRslora, boolean useDora, List<String> targetModules) {
        this(r, alpha, dropout, useRslora, useDora, targetModules, List.of());
    }

    /** No rank or alpha patterns. */
    public LoraConfig(int r, double alpha, double dropout, boolean useRslora, boolean useDora, List<String> targetModules,
                      List<String> targetParameters) {
        this(r, alpha, dropout, useRslora, useDora, targetModules, targetParameters, Map.of(), Map.of());
    }

    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        if (!(alpha > 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("lora_alpha must be a positive number, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        targetParameters = targetParameters == null ? List.of() : List.copyOf(targetParameters);
        for (String t : targetParameters) {
            if (t == null || t.isBlank()) throw new IllegalArgumentException("target_parameters contains an empty name: " + targetParameters);
        }
        if (!targetParameters.isEmpty()) ParamLora.requireSupported(dropout, useDora);
        rankPattern = rankPattern == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = alphaPattern == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        rankPattern.forEach((k, v) -> { if (v <= 0) throw new IllegalArgumentException("rank_pattern: rank for '" + k + "' must be positive, got " + v); });
        if (targetModules == null) targetModules = List.of();
        if (targetModules.isEmpty() && targetParameters.isEmpty()) {
            throw new IllegalArgumentException("target_modules is empty: give module names such as q_proj,v_proj or all-linear");
        }
        for (String t : targetModules) {
            if (t == null || t.isBlank()) throw new IllegalArgumentException("target_modules contains an empty name: " + targetModules);
        }
        if (targetModules.size() > 1 && targetModules.stream().anyMatch(ALL_LINEAR::equalsIgnoreCase)) {
            throw new IllegalArgumentException("target_modules: all-linear cannot be combined with other names, got " + targetModules);
        }
        targetModules = List.copyOf(targetModules);
    }

    /** PEFT: lora_alpha / r, or lora_alpha / sqrt(r) with rsLoRA (Kalajdzievski 2023). */
    public double scaling() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** PEFT's get_pattern_key: the first pattern {@code p} with {@code key} matching {@code (.*\.)?(p)}, or null. */
    private static <V> V patternValue(Map<String, V> patterns, String key) {
        for (var e : patterns.entrySet()) if (Pattern.matches("(.*\\.)?(" + e.getKey() + ")", key)) return e.getValue();
        return null;
    }

    /** The rank of the target at dotted {@code key} (rank_pattern, else r). */
    public int rankFor(String key) {
        Integer v = patternValue(rankPattern, key);
        return v == null ? r : v;
    }

    /** The scaling of the target at dotted {@code key}: its alpha (alpha_pattern, else lora_alpha) over its rank (or √rank). */
    public double scalingFor(String key) {
        Double a = patternValue(alphaPattern, key);
        double al = a == null ? alpha : a;
        int rk = rankFor(key);
        return useRslora ? al / Math.sqrt(rk) : al / rk;
    }

    /** Whether a rank or alpha pattern names the target at {@code key}. */
    public boolean patternMatches(String key) {
        return patternValue(rankPattern, key) != null || patternValue(alphaPattern, key) != null;
    }

    public boolean allLinear() {
        return targetModules.size() == 1 && targetModules.get(0).equalsIgnoreCase(ALL_LINEAR);
    }

    /** Whether target_modules names the module at dotted {@code path} (not used for all-linear). */
    public boolean targets(String path) {
        for (String t : targetModules) if (nameMatches(t, path)) return true;
        return false;
    }

    /** PEFT's rule for one name: the whole path, or its last dotted segments. */
    public static boolean nameMatches(String target, String path) {
        return path.equals(target) || path.endsWith("." + target);
    }
}
