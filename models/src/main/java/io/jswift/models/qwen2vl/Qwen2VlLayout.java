package io.jswift.models.qwen2vl;

import io.jswift.models.load.CheckpointLayout;
import io.jswift.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Qwen2-VL / Qwen2.5-VL checkpoint names: the hub's (and transformers 5.18's save_pretrained's) {@code visual.X} and
 * {@code model.X} are the module's {@code model.visual.X} and {@code model.language_model.X}, as transformers 5's
 * checkpoint conversion mapping for these models renames them on load and back on save. {@code lm_head} is the same in both.
 */
public final class Qwen2VlLayout implements CheckpointLayout {
    public static final Qwen2VlLayout INSTANCE = new Qwen2VlLayout();

    private static final String VISUAL = "model.visual.";
    private static final String LANGUAGE_MODEL = "model.language_model.";

    private Qwen2VlLayout() {}

    /** A checkpoint name → the module's; names already in the module's form stay. */
    public static String moduleName(String checkpointName) {
        if (checkpointName.startsWith("visual.")) return "model." + checkpointName;
        if (checkpointName.startsWith("model.") && !checkpointName.startsWith(VISUAL) && !checkpointName.startsWith(LANGUAGE_MODEL)) {
            return LANGUAGE_MODEL + checkpointName.substring("model.".length());
        }
        return checkpointName;
    }

    /** A module name → the hub checkpoint's. */
    public static String checkpointName(String moduleName) {
        if (moduleName.startsWith(VISUAL)) return moduleName.substring("model.".length());
        if (moduleName.startsWith(LANGUAGE_MODEL)) return "model." + moduleName.substring(LANGUAGE_MODEL.length());
        return moduleName;
    }

    @Override
    public Map<String, Tensor> toModule(Map<String, Tensor> checkpoint, String source) { return renamed(checkpoint, Qwen2VlLayout::moduleName, source); }

    @Override
    public Map<String, Tensor> toCheckpoint(Map<String, Tensor> state) { return renamed(state, Qwen2VlLayout::checkpointName, "the model's state dict"); }

    private static Map<String, Tensor> renamed(Map<String, Tensor> in, UnaryOperator<String> rule, String source) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        in.forEach((name, t) -> {
            String renamed = rule.apply(name);
            if (out.put(renamed, t) != null) {
                throw new IllegalArgumentException(source + ": tensor '" + renamed + "' is stored under two names (hub and transformers 5 layouts mixed)");
            }
        });
        return out;
    }
}
