package io.jswift.models.arch;

import io.jswift.models.CausalLm;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code --target_modules all-linear} adapts on the MoE families whose experts transformers 5 fused, as ms-swift
 * and PEFT 0.21 do it together.
 *
 * <p>ms-swift never hands PEFT the string "all-linear": it resolves it first to the leaf names of the model's linear
 * layers but the output layers (swift/pipelines/train/tuner.py get_target_modules → find_all_linears). PEFT 0.21 then
 * converts that list for the model types whose MoE layout changed from transformers 4 to 5
 * (peft/utils/transformers_weight_conversion.py, _convert_peft_config_moe; here Mixtral, Qwen3-MoE, GLM-4.5, DeepSeek
 * V2/V3, Qwen3-Next, not Qwen2-MoE): gate_proj, up_proj and down_proj leave target_modules (so dense layers' and shared
 * experts' MLPs are not adapted) and become target_parameters gate_up_proj (rank 2r, alpha 2·alpha: two fused layers)
 * and down_proj on the fused experts. A list without those names (Mixtral, a Qwen3-MoE without dense layers) stays the
 * attention projections. The adapter saves the resolved list, so PEFT loads it onto the same layers.
 */
public final class PeftAllLinear {
    /** transformers 5 model types PEFT 0.21 converts (its qwen2_moe / mixtral patterns), by architecture. */
    private static final Set<String> CONVERTED = Set.of("MixtralForCausalLM", "Qwen3MoeForCausalLM", "Glm4MoeForCausalLM",
            "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM", "Qwen3NextForCausalLM", "MixtralForSequenceClassification",
            "Qwen3MoeForSequenceClassification", "Glm4MoeForSequenceClassification", "DeepseekV2ForSequenceClassification",
            "DeepseekV3ForSequenceClassification", "Qwen3NextForSequenceClassification");
    /** The linear layers ms-swift's find_all_linears leaves out (output and value heads). */
    private static final Set<String> HEADS = Set.of("lm_head", "score", "v_head", "classifier");
    /** PEFT's qwen2_moe mapping of the v4 expert names to the v5 fused parameters. */
    private static final List<String> FUSED_INTO_GATE_UP = List.of("gate_proj", "up_proj");
    private static final String DOWN = "down_proj";

    private PeftAllLinear() {}

    /**
     * {@code config} as ms-swift + PEFT resolve it on {@code model}: unchanged unless it is all-linear on a converted
     * family; then the explicit list, plus the fused experts as target parameters where the list names their v4 names.
     */
    public static LoraConfig resolve(Module model, LoraConfig config) {
        if (!config.allLinear()) return config;
        CausalLm lm = model instanceof CausalLm c ? c : model instanceof DecoderClassifier d ? d.decoder() : null;
        if (lm == null || !CONVERTED.contains(lm.config().architecture())) return config;
        Set<String> leaves = new TreeSet<>();
        model.namedModules().forEach((path, m) -> {
            String leaf = path.substring(path.lastIndexOf('.') + 1);
            if (m instanceof LinearBase && !path.isEmpty() && HEADS.stream().noneMatch(path::contains)) leaves.add(leaf);
        });
        boolean gateUp = leaves.containsAll(FUSED_INTO_GATE_UP), down = leaves.contains(DOWN);
        if (!gateUp && !down) return withTargets(config, List.copyOf(leaves), List.of(), Map.of(), Map.of());
        List<String> modules = new ArrayList<>(leaves);
        modules.removeAll(FUSED_INTO_GATE_UP);
        modules.remove(DOWN);
        Set<String> parameters = new LinkedHashSet<>(config.targetParameters());
        Map<String, Integer> ranks = new LinkedHashMap<>(config.rankPattern());
        Map<String, Double> alphas = new LinkedHashMap<>(config.alphaPattern());
        if (down) parameters.add(DOWN);
        if (gateUp) {
            parameters.add("gate_up_proj");
            ranks.put(".*\\.gate_up_proj", 2 * config.r());
            alphas.put(".*\\.gate_up_proj", 2 * config.alpha());
        }
        if (config.dropout() != 0 || config.useDora()) {
            throw new IllegalArgumentException("--target_modules all-linear on " + lm.config().architecture() + ": PEFT 0.21 adapts the fused "
                    + "experts' " + parameters + " through target_parameters here (the list names " + (gateUp ? FUSED_INTO_GATE_UP : List.of(DOWN))
                    + "), and its ParamWrapper refuses " + (config.useDora() ? "DoRA" : "lora_dropout " + config.dropout())
                    + ": pass --lora_dropout 0" + (config.useDora() ? " and --train_type lora" : "") + ", or name the layers, e.g. --target_modules q_proj k_proj v_proj o_proj");
        }
        return withTargets(config, modules, List.copyOf(parameters), ranks, alphas);
    }

    private static LoraConfig withTargets(LoraConfig c, List<String> modules, List<String> parameters, Map<String, Integer> ranks,
                                          Map<String, Double> alphas) {
        return new LoraConfig(c.r(), c.alpha(), c.dropout(), c.useRslora(), c.useDora(), modules, parameters, ranks, alphas);
    }
}
