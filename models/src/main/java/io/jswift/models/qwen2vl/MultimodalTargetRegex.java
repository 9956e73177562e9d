package io.jswift.models.qwen2vl;

import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration.Part;
import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What ms-swift writes as the adapter's {@code target_modules} for all-linear on Qwen2-VL / Qwen2.5-VL
 * (swift/utils/transformers_utils.py, get_multimodal_target_regex, with its qwen2_vl model_arch for transformers 5:
 * language_model = model.language_model and lm_head, vision_tower = model.visual, aligner = model.visual.merger): for each
 * unfrozen part in that order, the alternative {@code (?!(aligner))} (only where the aligner sits inside the part) +
 * the escaped part path + {@code (?=\.).*\.(leaf|leaf...)}, all joined as {@code ^(a|b)$}; lm_head is never a target
 * and a tied (absent) lm_head is skipped. The leaf names are find_layers' for the part's linear layers: the last path
 * segment, lengthened by one segment at a time while a non-linear module path of the part (digits followed by a dot
 * written as "{}.") ends with it — so Qwen2-VL's attention output {@code proj} becomes {@code attn.proj} because of
 * {@code patch_embed.proj}. ms-swift joins the leaves in Python set order (it varies from run to run); here they are sorted.
 * PEFT full-matches the regex against every module path, so it adapts exactly the linear layers that
 * {@link Qwen2VlForConditionalGeneration#linears(Set)} lists for the same parts; a plain name list could not say this
 * (Qwen2.5-VL's vision MLP has the language model's gate_proj / up_proj / down_proj names).
 */
public final class MultimodalTargetRegex {
    private static final Pattern DIGITS_DOT = Pattern.compile("\\d+\\.");
    /** Path parts find_all_linears skips: output and head layers, and the insides of a LoRA wrapper. */
    private static final List<String> IGNORED = List.of("lm_head", "score", "v_head", "classifier", "lora_A", "lora_B", "base_layer");

    private MultimodalTargetRegex() {}

    /** The regex for the linear layers of {@code parts} of {@code model} (a Qwen2-VL module tree). */
    public static String of(Module model, Set<Part> parts) {
        Map<String, Module> modules = model.namedModules();
        List<String> alternatives = new ArrayList<>();
        for (Map.Entry<String, Part> e : prefixes().entrySet()) {
            String prefix = e.getKey();
            Module sub = modules.get(prefix);
            if (!parts.contains(e.getValue()) || sub == null || prefix.equals("lm_head")) continue;
            List<String> leaves = leafNames(sub);
            if (leaves.isEmpty()) continue;
            // the aligner nests in the vision tower: ms-swift rejects it there when the tower or the LLM is trained
            String aligner = "model.visual.merger";
            boolean rejectAligner = aligner.startsWith(prefix + ".") && (parts.contains(Part.VISION_TOWER) || parts.contains(Part.LANGUAGE_MODEL));
            alternatives.add((rejectAligner ? "(?!(" + aligner + "))" : "") + pythonEscape(prefix) + "(?=\\.).*\\.(" + String.join("|", leaves) + ")");
        }
        if (alternatives.isEmpty()) throw new IllegalArgumentException("--target_modules all-linear: the unfrozen parts " + parts + " have no linear layer");
        return "^(" + String.join("|", alternatives) + ")$";
    }

    /** The module paths of the parts' prefixes in ms-swift's order (language model, vision tower, aligner). */
    private static Map<String, Part> prefixes() {
        Map<String, Part> out = new LinkedHashMap<>();
        out.put("model.language_model", Part.LANGUAGE_MODEL);
        out.put("lm_head", Part.LANGUAGE_MODEL);
        out.put("model.visual", Part.VISION_TOWER);
        out.put("model.visual.merger", Part.ALIGNER);
        return out;
    }

    /** find_layers' target names for the linear layers under {@code sub} (paths relative to it), sorted. */
    static List<String> leafNames(Module sub) {
        Map<String, Module> modules = sub.namedModules();
        List<String> inner = new ArrayList<>();
        modules.forEach((path, m) -> {
            String normal = normalized(path);
            if (!isLinear(normal, m)) inner.add(normal);
        });
        TreeSet<String> out = new TreeSet<>();
        modules.forEach((path, m) -> {
            if (!isLinear(path, m)) return;
            List<String> segments = new ArrayList<>(List.of(path.split("\\.")));
            String name = segments.removeLast();
            for (String node : inner) {
                while (!segments.isEmpty() && node.endsWith(normalized(name))) name = segments.removeLast() + "." + name;
            }
            out.add(name);
        });
        return List.copyOf(out);
    }

    /** find_layers writes each "digits." of a path as "{}." (layers.3.mlp becomes layers.{}.mlp; a final index stays). */
    private static String normalized(String path) { return DIGITS_DOT.matcher(path).replaceAll("{}."); }

    /** find_all_linears' test: a linear layer whose path names no output head and no LoRA part. */
    private static boolean isLinear(String path, Module m) {
        return m instanceof LinearBase && IGNORED.stream().noneMatch(path::contains);
    }

    /** Python's re.escape (3.7+): a backslash before each character that is special in a pattern. */
    static String pythonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("()[]{}?*+-|^$\\.&~# \t\n\r\u000b\f".indexOf(c) >= 0) b.append('\\');
            b.append(c);
        }
        return b.toString();
    }
}
