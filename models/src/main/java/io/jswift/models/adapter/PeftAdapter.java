package io.jswift.models.adapter;

import io.jswift.models.CausalLm;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.load.ClassifierPad;
import io.jswift.models.load.LoadedModel;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.StateDictException;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.ParamLora;
import io.jswift.nn.lora.ParamLoraInjector;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter directory in PEFT's format (what {@code PeftModel.save_pretrained} writes and
 * {@code PeftModel.from_pretrained} reads): {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * keys {@code base_model.model.<module path>.lora_A.weight} [r, in], {@code ....lora_B.weight} [out, r] and, for
 * DoRA, {@code ....lora_magnitude_vector} [out] (no adapter name in the keys, as PEFT's get_peft_model_state_dict);
 * target_parameters adapters under PEFT's ParamWrapper keys ({@code ....experts[.base_layer].lora_A.weight} [r·E, in],
 * see {@link ParamLoraInjector}). On a
 * {@link DecoderClassifier} the score head is saved whole beside them (task_type SEQ_CLS, modules_to_save).
 */
public final class PeftAdapter {
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** PEFT prefixes keys with its wrappers' attribute names: PeftModel.base_model (LoraModel).model. */
    static final String KEY_PREFIX = "base_model.model.";

    private PeftAdapter() {}

    /**
     * Writes the adapters of {@code model} (put there by {@link LoraInjector#inject}) to {@code dir}, created if
     * needed; weights are f32 as trained. {@code baseModelNameOrPath} goes to base_model_name_or_path.
     */
    public static void save(Path dir, Module model, LoraConfig config, String baseModelNameOrPath) throws IOException {
        save(dir, model, config, baseModelNameOrPath, null);
    }

    /**
     * As {@link #save(Path, Module, LoraConfig, String)}, with {@code target_modules} written as {@code targetRegex}
     * when it is not null (ms-swift's regex for all-linear on a vision-language model); the regex must select exactly
     * the adapted layers, so that PEFT loads the adapter onto the same modules.
     */
    public static void save(Path dir, Module model, LoraConfig config, String baseModelNameOrPath, String targetRegex) throws IOException {
        Map<String, LoraLinear> adapters = LoraInjector.find(model);
        Map<String, ParamLora> paramAdapters = ParamLoraInjector.find(model);
        if (adapters.isEmpty() && paramAdapters.isEmpty()) throw new IllegalArgumentException("the model has no LoRA adapters to save");
        if (targetRegex != null) {
            List<String> selected = PeftAdapterConfig.regexTargets(model, targetRegex);
            if (!new HashSet<>(selected).equals(adapters.keySet())) {
                throw new IllegalArgumentException("target_modules \"" + targetRegex + "\" selects " + selected.size() + " layers (" + selected
                        + ") but the model's adapters are on " + adapters.keySet());
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (var e : adapters.entrySet()) {
            LoraConfig own = e.getValue().config();
            if (own.r() != config.r() || own.useDora() != config.useDora() || own.scaling() != config.scaling()) {
                throw new IllegalArgumentException(e.getKey() + " has an adapter with r=" + own.r() + ", use_dora=" + own.useDora()
                        + ", scaling " + own.scaling() + " but the config to save says r=" + config.r() + ", use_dora=" + config.useDora()
                        + ", scaling " + config.scaling());
            }
            if (e.getValue().merged()) throw new IllegalStateException(e.getKey() + ": the adapter is merged; unmerge it before saving");
            e.getValue().adapterParameters().forEach((name, p) -> tensors.put(KEY_PREFIX + e.getKey() + "." + name, p.value()));
        }
        for (var e : paramAdapters.entrySet()) {
            ParamLora l = e.getValue();
            if (l.rank() != config.rankFor(l.key()) || l.scaling() != config.scalingFor(l.key())) {
                throw new IllegalArgumentException(l.key() + " has an adapter with r=" + l.rank() + ", scaling " + l.scaling()
                        + " but the config to save says r=" + config.rankFor(l.key()) + ", scaling " + config.scalingFor(l.key()));
            }
            e.getValue().adapterParameters().forEach((name, p) -> tensors.put(KEY_PREFIX + e.getKey() + "." + name, p.value()));
        }
        savedWhole(model).forEach((key, p) -> tensors.put(key, p.value()));
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        if (model instanceof DecoderClassifier) {
            PeftAdapterConfig.write(dir.resolve(PeftAdapterConfig.FILE), config, baseModelNameOrPath, "SEQ_CLS", PeftAdapterConfig.SEQ_CLS_MODULES_TO_SAVE);
        } else {
            PeftAdapterConfig.write(dir.resolve(PeftAdapterConfig.FILE), config, baseModelNameOrPath, model instanceof CausalLm ? "CAUSAL_LM" : null,
                    List.of(), targetRegex);
        }
    }

    /**
     * Applies the adapter in {@code dir} to a loaded model for inference; a SEQ_CLS adapter (one that saves a score
     * head) on a causal LM first turns it into the sequence classifier PEFT's users load it on
     * ({@code AutoModelForSequenceClassification} of the base), its score taken from the adapter, the pad id
     * {@link ClassifierPad#of} of {@code baseDir}. Returns the model the adapter is on.
     */
    public static LoadedModel apply(LoadedModel loaded, Path dir, Path baseDir) throws IOException {
        PeftAdapterConfig file = PeftAdapterConfig.read(dir.resolve(PeftAdapterConfig.FILE));
        LoadedModel target = loaded;
        if (file.savesScore() && loaded instanceof LoadedModel.CausalLm lm) {
            Path weightsFile = dir.resolve(WEIGHTS);
            if (!Files.isRegularFile(weightsFile)) throw new IOException(weightsFile + " does not exist");
            Tensor score = SafetensorsFile.open(weightsFile).tensors().get(KEY_PREFIX + DecoderClassifier.SCORE + ".weight");
            if (score == null || score.rank() != 2) {
                throw new IllegalArgumentException(weightsFile + ": the adapter's config saves a score head but the file has no "
                        + KEY_PREFIX + DecoderClassifier.SCORE + ".weight [labels, hidden]");
            }
            Linear head = new Linear(lm.model().config().hiddenSize(), score.size(0), false, null);
            target = new LoadedModel.SequenceClassifier(new DecoderClassifier(lm.model(), head, ClassifierPad.of(baseDir, lm.model().config())));
        }
        load(dir, target.module());
        return target;
    }

    /** {@link #load(Path, Module, Generator)} for inference: dropout masks (training only) would come from seed 0. */
    public static LoraConfig load(Path dir, Module model) throws IOException {
        return load(dir, model, new Generator(0));
    }

    /**
     * Reads the adapter in {@code dir}, wraps the layers it targets and assigns its weights strictly (every missing,
     * unexpected and mis-shaped tensor is listed with the file); on an error in the weights the adapters are removed again. The
     * adapter weights become trainable f32 copies; {@code dropoutGenerator} feeds lora_dropout when training.
     */
    public static LoraConfig load(Path dir, Module model, Generator dropoutGenerator) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a directory (expected a PEFT adapter directory with "
                + PeftAdapterConfig.FILE + " and " + WEIGHTS + ")");
        PeftAdapterConfig file = PeftAdapterConfig.read(dir.resolve(PeftAdapterConfig.FILE));
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weightsFile)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin, PyTorch pickle, is not read: "
                    + "re-save the adapter with safe_serialization=True)" : "";
            throw new IOException(weightsFile + " does not exist" + hint);
        }
        Map<String, Tensor> stored = SafetensorsFile.open(weightsFile).tensors();
        if (file.savesScore() && !(model instanceof DecoderClassifier)) {
            throw new IllegalArgumentException(dir.resolve(PeftAdapterConfig.FILE) + ": the adapter saves a score head (modules_to_save "
                    + file.modulesToSave() + ", task_type SEQ_CLS): it belongs on a sequence classifier, not on this " + model.getClass().getSimpleName());
        }
        LoraConfig config = file.toLoraConfig(model);
        try {
            LoraInjector.inject(model, config, dropoutGenerator, false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(PeftAdapterConfig.FILE) + ": " + e.getMessage(), e);
        }
        try {
            assign(model, stored, weightsFile.toString());
        } catch (RuntimeException e) {
            LoraInjector.unload(model);
            throw e;
        }
        return config;
    }

    /**
     * Assigns the weights in {@code dir} to the adapters the model already has (resuming a run: the optimizer holds
     * the live parameters, so they are updated in place rather than replaced); strict, as {@link #load}.
     */
    public static void loadWeights(Path dir, Module model) throws IOException {
        if (LoraInjector.find(model).isEmpty() && ParamLoraInjector.find(model).isEmpty()) {
            throw new IllegalStateException("the model has no LoRA adapters to load " + dir + " into");
        }
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weightsFile)) throw new IOException(weightsFile + " does not exist");
        assign(model, SafetensorsFile.open(weightsFile).tensors(), weightsFile.toString());
    }

    /**
     * What the adapter saves whole besides the LoRA weights, by saved key: a sequence classifier's score head
     * (PEFT's modules_to_save for SEQ_CLS, saved as {@code base_model.model.score.weight}: PEFT drops
     * "modules_to_save.default" from the key).
     */
    private static Map<String, Parameter> savedWhole(Module model) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        if (model instanceof DecoderClassifier c) c.score().namedParameters().forEach((n, p) -> out.put(KEY_PREFIX + DecoderClassifier.SCORE + "." + n, p));
        return out;
    }

    private static void assign(Module model, Map<String, Tensor> stored, String source) {
        Map<String, Parameter> expected = new LinkedHashMap<>();
        LoraInjector.find(model).forEach((path, l) -> l.adapterParameters().forEach((name, p) -> expected.put(KEY_PREFIX + path + "." + name, p)));
        ParamLoraInjector.find(model).forEach((path, l) -> l.adapterParameters().forEach((name, p) -> expected.put(KEY_PREFIX + path + "." + name, p)));
        expected.putAll(savedWhole(model));
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), mismatched = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Tensor t = stored.get(e.getKey());
            if (t == null) missing.add(e.getKey());
            else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + " " + Arrays.toString(t.shape()) + " vs expected " + Arrays.toString(e.getValue().shape()));
            } else if (!t.dtype().isFloatingPoint()) {
                mismatched.add(e.getKey() + " has dtype " + t.dtype() + ", expected a floating-point tensor");
            }
        }
        for (String k : stored.keySet()) if (!expected.containsKey(k)) unexpected.add(k);
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new StateDictException(source, missing, unexpected, mismatched);
        }
        // private f32 copies: the file is memory-mapped read-only and training updates adapter weights in place;
        // each goes to the device its layer is on
        expected.forEach((key, p) -> {
            Tensor t = stored.get(key);
            Tensor f32 = t.dtype() == DType.F32 ? t.copy() : t.to(DType.F32);
            p.setValue(p.value().isMeta() ? f32 : f32.to(p.device()));
        });
    }
}
