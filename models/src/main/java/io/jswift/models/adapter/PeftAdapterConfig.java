package io.jswift.models.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.HfJsonWriter;
import io.jswift.nn.LinearBase;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.ParamLora;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code adapter_config.json} as PEFT writes it for LoRA (peft/tuners/lora/config.py). jswift reads plain LoRA,
 * rsLoRA and DoRA on linear layers; every field that changes what the adapter computes and that jswift does not
 * implement is refused by name rather than ignored. {@code target_modules} is a list (names or dotted paths,
 * PEFT's suffix rule), "all-linear", or another string: a regular expression the whole module path must match.
 * {@code target_parameters} (a list, PEFT's LoRA on fused expert parameters, {@link ParamLora}) is read and written;
 * with it, target_modules may be empty or null, and rank_pattern / alpha_pattern may give target parameters their own
 * rank and alpha (what PEFT writes when it turns an all-linear list into target_parameters).
 */
public record PeftAdapterConfig(Path file, int r, double alpha, double dropout, boolean useRslora, boolean useDora,
                                List<String> targetModules, String targetRegex, String baseModelNameOrPath, List<String> modulesToSave,
                                List<String> targetParameters, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern) {
    public static final String FILE = "adapter_config.json";

    /** PEFT init_lora_weights values that only choose the starting A/B: the saved weights are all there is. */
    private static final Set<String> PLAIN_INITS = Set.of("gaussian", "eva", "orthogonal");

    /** Fields that must be null / empty / false: each selects a variant or a layer kind jswift does not implement. */
    private static final List<String> MUST_BE_ABSENT = List.of("layers_pattern",
            "layers_to_transform", "exclude_modules", "trainable_token_indices", "layer_replication",
            "lora_bias", "use_qalora", "arrow_config", "use_bdlora", "alora_invocation_tokens", "velora_config", "monteclora_config",
            "kasa_config");

    /**
     * The modules_to_save PEFT's SEQ_CLS task sets (its classifier heads: "classifier", "score"): trained whole and
     * saved as {@code base_model.model.score.weight}. No other module may be saved whole.
     */
    public static final List<String> SEQ_CLS_MODULES_TO_SAVE = List.of("classifier", "score");

    public static PeftAdapterConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + " does not exist (a PEFT adapter directory holds " + FILE + " and adapter_model.safetensors)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ")");
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object");
        ConfigJson c = ConfigJson.of(file, root);
        String peftType = c.optString("peft_type", null);
        if (!"LORA".equals(peftType)) {
            throw new IllegalArgumentException(file + ": 'peft_type' is " + root.get("peft_type") + ": jswift loads LORA adapters (LoRA, rsLoRA, DoRA)");
        }
        for (String key : MUST_BE_ABSENT) {
            if (isSet(root.get(key))) throw unsupported(file, key, root.get(key), "remove it or merge the adapter with PEFT first");
        }
        List<String> modulesToSave = new ArrayList<>();
        JsonNode toSave = root.get("modules_to_save");
        if (isSet(toSave)) {
            if (!toSave.isArray()) throw unsupported(file, "modules_to_save", toSave, "expected a list of module names");
            for (JsonNode m : toSave) {
                if (!m.isTextual() || !SEQ_CLS_MODULES_TO_SAVE.contains(m.asText())) {
                    throw unsupported(file, "modules_to_save", toSave, "only a sequence classifier's head (" + SEQ_CLS_MODULES_TO_SAVE
                            + ", PEFT's SEQ_CLS task) is saved whole; remove it or merge the adapter with PEFT first");
                }
                modulesToSave.add(m.asText());
            }
        }
        String bias = c.optString("bias", "none");
        if (!bias.equals("none")) throw unsupported(file, "bias", root.get("bias"), "only bias \"none\" (base biases stay frozen)");
        if (c.optBool("fan_in_fan_out", false)) throw unsupported(file, "fan_in_fan_out", root.get("fan_in_fan_out"), "Conv1D layers are not supported");
        JsonNode init = root.get("init_lora_weights");
        if (init != null && init.isTextual() && !PLAIN_INITS.contains(init.asText().toLowerCase())) {
            throw unsupported(file, "init_lora_weights", init, "this initialization changes the base weights or the forward; "
                    + "convert the adapter to plain LoRA with PEFT (path_initial_model_for_weight_conversion) first");
        }
        List<String> parameters = new ArrayList<>();
        JsonNode targetParameters = root.get("target_parameters");
        if (isSet(targetParameters)) {
            if (!targetParameters.isArray()) throw unsupported(file, "target_parameters", targetParameters, "expected a list of parameter names");
            for (JsonNode t : targetParameters) {
                if (!t.isTextual()) throw new IllegalArgumentException(file + ": 'target_parameters' must hold strings, got " + targetParameters);
                parameters.add(t.asText());
            }
        }
        JsonNode targets = root.get("target_modules");
        List<String> names = new ArrayList<>();
        String regex = null;
        if (!parameters.isEmpty() && (targets == null || targets.isNull() || targets.isArray() && targets.isEmpty())) {
            // PEFT: target_modules None or [] with target_parameters adapts the parameters alone
        } else if (targets == null || targets.isNull()) {
            throw new IllegalArgumentException(file + ": 'target_modules' is missing: list the adapted modules (e.g. [\"q_proj\", \"v_proj\"])");
        } else if (targets.isTextual() && targets.asText().equalsIgnoreCase(LoraConfig.ALL_LINEAR)) {
            names.add(LoraConfig.ALL_LINEAR);
        } else if (targets.isTextual()) {
            regex = targets.asText();
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(file + ": 'target_modules' \"" + regex + "\" is not a valid regular expression: " + e.getDescription());
            }
        } else if (targets.isArray() && !targets.isEmpty()) {
            for (JsonNode t : targets) {
                if (!t.isTextual()) throw new IllegalArgumentException(file + ": 'target_modules' must hold strings, got " + targets);
                names.add(t.asText());
            }
        } else {
            throw new IllegalArgumentException(file + ": 'target_modules' must be a non-empty list of module names or a string, got " + targets);
        }
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        for (String key : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode pattern = root.get(key);
            if (!isSet(pattern)) continue;
            if (!pattern.isObject()) throw unsupported(file, key, pattern, "expected an object of pattern → number");
            if (parameters.isEmpty()) throw unsupported(file, key, pattern, "jswift applies rank / alpha patterns to target_parameters only");
            for (var e : pattern.properties()) {
                if (!e.getValue().isNumber()) throw unsupported(file, key, pattern, "'" + e.getKey() + "' must map to a number");
                try {
                    Pattern.compile(e.getKey());
                } catch (PatternSyntaxException ex) {
                    throw new IllegalArgumentException(file + ": '" + key + "' pattern \"" + e.getKey() + "\" is not a valid regular expression");
                }
                if (key.equals("rank_pattern")) rankPattern.put(e.getKey(), e.getValue().asInt());
                else alphaPattern.put(e.getKey(), e.getValue().asDouble());
            }
        }
        int r = c.optInt("r", 8);
        double alpha = c.optDouble("lora_alpha", 8), dropout = c.optDouble("lora_dropout", 0);
        boolean rslora = c.optBool("use_rslora", false), dora = c.optBool("use_dora", false);
        try { // the same checks as the adapter will get (a regex stands in for its own target list here)
            new LoraConfig(r, alpha, dropout, rslora, dora, regex == null ? names : List.of(regex), parameters, rankPattern, alphaPattern);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        return new PeftAdapterConfig(file, r, alpha, dropout, rslora, dora, List.copyOf(names), regex, c.optString("base_model_name_or_path", null),
                List.copyOf(modulesToSave), List.copyOf(parameters), Map.copyOf(rankPattern), Map.copyOf(alphaPattern));
    }

    private static boolean isSet(JsonNode n) {
        if (n == null || n.isNull()) return false;
        if (n.isBoolean()) return n.asBoolean();
        if (n.isTextual()) return !n.asText().isEmpty();
        return !n.isContainerNode() || n.size() > 0;
    }

    private static IllegalArgumentException unsupported(Path file, String key, JsonNode value, String hint) {
        return new IllegalArgumentException(file + ": '" + key + "' = " + value + " is not supported by jswift: " + hint);
    }

    /** Whether the adapter carries a sequence classifier's score head (PEFT's SEQ_CLS task). */
    public boolean savesScore() { return modulesToSave.contains("score"); }

    /**
     * The LoRA configuration for {@code model}; a regular-expression target becomes the list of linear-layer paths
     * it fully matches ({@link #regexTargets}).
     */
    public LoraConfig toLoraConfig(Module model) {
        List<String> targets = targetModules;
        if (targetRegex != null) {
            targets = regexTargets(model, targetRegex);
            if (targets.isEmpty()) {
                throw new IllegalArgumentException(file + ": 'target_modules' \"" + targetRegex + "\" matches no linear layer of the model");
            }
        }
        return new LoraConfig(r, alpha, dropout, useRslora, useDora, targets, targetParameters, rankPattern, alphaPattern);
    }

    /**
     * PEFT's rule for a string target_modules (check_target_module_exists: re.fullmatch on each module path): the
     * paths of the linear layers of {@code model} (or of its LoRA wrappers, whose insides are not looked at) that
     * {@code regex} fully matches, in model order.
     */
    public static List<String> regexTargets(Module model, String regex) {
        Pattern p = Pattern.compile(regex);
        List<String> out = new ArrayList<>(), wrappers = new ArrayList<>();
        model.namedModules().forEach((path, m) -> {
            if (path.isEmpty() || wrappers.stream().anyMatch(w -> path.startsWith(w + "."))) return;
            if (m instanceof LoraLinear) wrappers.add(path);
            if ((m instanceof LinearBase || m instanceof LoraLinear) && p.matcher(path).matches()) out.add(path);
        });
        return out;
    }

    /**
     * Writes {@code adapter_config.json} with the fields PEFT writes (keys sorted, two-space indent, as
     * save_pretrained); all-linear is kept as the string PEFT expands when it loads.
     */
    public static void write(Path file, LoraConfig config, String baseModelNameOrPath, String taskType) throws IOException {
        write(file, config, baseModelNameOrPath, taskType, List.of());
    }

    /** As {@link #write(Path, LoraConfig, String, String)} with PEFT's modules_to_save (null in the file when empty). */
    public static void write(Path file, LoraConfig config, String baseModelNameOrPath, String taskType, List<String> modulesToSave) throws IOException {
        write(file, config, baseModelNameOrPath, taskType, modulesToSave, null);
    }

    /**
     * As {@link #write(Path, LoraConfig, String, String, List)}; a non-null {@code targetRegex} is written as
     * target_modules (PEFT's regex form, as ms-swift writes all-linear for a vision-language model) instead of the list.
     */
    public static void write(Path file, LoraConfig config, String baseModelNameOrPath, String taskType, List<String> modulesToSave,
                             String targetRegex) throws IOException {
        ObjectMapper json = new ObjectMapper();
        TreeMap<String, Object> fields = new TreeMap<>();
        ObjectNode alphaPattern = json.createObjectNode();
        config.alphaPattern().forEach((k, v) -> { if (v == Math.rint(v)) alphaPattern.put(k, (long) (double) v); else alphaPattern.put(k, v); });
        fields.put("alpha_pattern", alphaPattern);
        fields.put("auto_mapping", null);
        fields.put("base_model_name_or_path", baseModelNameOrPath);
        fields.put("bias", "none");
        fields.put("exclude_modules", null);
        fields.put("fan_in_fan_out", false);
        fields.put("inference_mode", true);
        fields.put("init_lora_weights", true);
        fields.put("layer_replication", null);
        fields.put("layers_pattern", null);
        fields.put("layers_to_transform", null);
        fields.put("loftq_config", json.createObjectNode());
        fields.put("lora_alpha", config.alpha() == Math.rint(config.alpha()) ? (Object) (long) config.alpha() : config.alpha());
        fields.put("lora_bias", false);
        fields.put("lora_dropout", config.dropout());
        fields.put("megatron_config", null);
        fields.put("megatron_core", "megatron.core");
        if (modulesToSave.isEmpty()) {
            fields.put("modules_to_save", null);
        } else {
            ArrayNode list = json.createArrayNode();
            modulesToSave.forEach(list::add);
            fields.put("modules_to_save", list);
        }
        fields.put("peft_type", "LORA");
        fields.put("r", config.r());
        ObjectNode rankPattern = json.createObjectNode();
        config.rankPattern().forEach(rankPattern::put);
        fields.put("rank_pattern", rankPattern);
        fields.put("revision", null);
        if (targetRegex != null) {
            fields.put("target_modules", targetRegex);
        } else if (config.allLinear()) {
            fields.put("target_modules", LoraConfig.ALL_LINEAR);
        } else {
            ArrayNode list = json.createArrayNode();
            config.targetModules().forEach(list::add);
            fields.put("target_modules", list);
        }
        if (!config.targetParameters().isEmpty()) { // PEFT writes null when unset; left out then, as before
            ArrayNode list = json.createArrayNode();
            config.targetParameters().forEach(list::add);
            fields.put("target_parameters", list);
        }
        fields.put("task_type", taskType);
        fields.put("use_dora", config.useDora());
        fields.put("use_rslora", config.useRslora());
        ObjectNode root = json.valueToTree(fields);
        HfJsonWriter.write(file, root);
    }
}
