package io.jswift.nn.lora;

import java.util.List;

/**
 * One LoRA adapter's hyper-parameters, named as PEFT's {@code LoraConfig}: rank {@code r}, {@code lora_alpha},
 * {@code lora_dropout}, {@code use_rslora}, {@code use_dora} and {@code target_modules}.
 *
 * <p>{@code targetModules} is either {@code ["all-linear"]} (every linear layer except the output layer
 * {@code lm_head}, as PEFT) or module names; a module is targeted when its dotted path equals a name or ends
 * with "." + name (PEFT's {@code check_target_module_exists}), so {@code q_proj} and
 * {@code model.layers.0.self_attn.q_proj} both work.
 */
public record LoraConfig(int r, double alpha, double dropout, boolean useRslora, boolean useDora, List<String> targetModules) {
    /** PEFT's shorthand for every linear layer but the output layer. */
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        if (!(alpha > 0) || Double.isInfinite(alpha)) throw new IllegalArgumentException("lora_alpha must be a positive number, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        if (targetModules == null || targetModules.isEmpty()) {
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
