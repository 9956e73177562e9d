package io.jswift.train.run;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.adapter.PeftAdapterConfig;
import io.jswift.models.arch.Architectures;
import io.jswift.models.arch.PeftAllLinear;
import io.jswift.models.CausalLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.ParamLoraInjector;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A causal LM made ready to train as {@code --train_type} says ({@code sft} and {@code rlhf}): every weight trainable
 * (full), or a new LoRA / DoRA adapter on the target layers, or the adapter of {@code --adapters} continued; then
 * moved to the training device.
 *
 * @param model   the model on the training device
 * @param weights what checkpoints save of it
 * @param rng     the generator of the LoRA init and of every dropout draw (its offset is checkpointed)
 * @param config  the adapter's configuration (null for full training)
 */
public record TunedModel(CausalLm model, TrainedWeights weights, Generator rng, LoraConfig config) {
    /** Loads {@code args.model()} for {@code command} and sets it up for training. */
    public static TunedModel load(String command, TrainArgs args, TunerArgs tuner, Path adapters, PrintStream out) throws IOException {
        return load(command, args, tuner, adapters, false, out);
    }

    /**
     * As {@link #load(String, TrainArgs, TunerArgs, Path, PrintStream)}; {@code disableDropout} runs the adapter
     * without dropout (TRL's disable_dropout, on by default in its preference trainers: every torch Dropout gets
     * p = 0, PEFT's lora_dropout included) while checkpoints keep the configured lora_dropout, as PEFT saves it.
     */
    public static TunedModel load(String command, TrainArgs args, TunerArgs tuner, Path adapters, boolean disableDropout, PrintStream out)
            throws IOException {
        Path dir = args.model();
        CausalLm model = causalLm(dir, tuner.isFull(), tuner.quantization(), command);
        Generator rng = new Generator(args.seed()); // LoRA init, then every dropout draw (its offset is checkpointed)
        Tuning t = tune(model, model.config().dtype(), rng, args, tuner, adapters, disableDropout, out);
        model.to(args.targetDevice()); // loaded on the host (memory-mapped), adapters added, then copied to the device as a whole
        return new TunedModel(model, t.weights(), rng, t.config());
    }

    /** What {@link #tune} made of a model: what checkpoints save, and the adapter's configuration (null for full training). */
    public record Tuning(TrainedWeights weights, LoraConfig config) {}

    /**
     * Makes {@code model} (loaded from {@code args.model()}, trainable when full) ready to train as {@code --train_type}
     * says, on the host: every weight (full), a new LoRA / DoRA adapter drawn from {@code rng}, or the adapter of
     * {@code adapters} continued. {@code checkpointDtype}: what full checkpoints are saved as without --torch_dtype.
     */
    public static Tuning tune(Module model, DType checkpointDtype, Generator rng, TrainArgs args, TunerArgs tuner, Path adapters,
                              boolean disableDropout, PrintStream out) throws IOException {
        Path dir = args.model();
        TrainedWeights weights;
        LoraConfig config = null;
        String targetRegex = null; // a regex target_modules to save (ms-swift's for a VLM), kept from a continued adapter
        if (tuner.isFull()) {
            DType saveType = args.torchDtype() == null ? checkpointDtype : PretrainingRun.parseDtype(args.torchDtype());
            weights = new FullWeights(model, saveType, dir);
            VisionLanguageTuning.freezeParts(model, tuner.freeze());
        } else {
            if (adapters != null) targetRegex = PeftAdapterConfig.read(adapters.resolve(PeftAdapterConfig.FILE)).targetRegex();
            if (adapters != null && !disableDropout) { // the adapter's own config (PEFT's) decides rank, alpha, dropout and targets
                config = PeftAdapter.load(adapters, model, rng);
                out.printf(Locale.ROOT, "continuing the adapter in %s%n", adapters);
            } else if (adapters != null) {
                config = PeftAdapterConfig.read(adapters.resolve(PeftAdapterConfig.FILE)).toLoraConfig(model);
                LoraInjector.inject(model, withoutDropout(config), rng, false);
                PeftAdapter.loadWeights(adapters, model);
                out.printf(Locale.ROOT, "continuing the adapter in %s%n", adapters);
            } else {
                VisionLanguageTuning.NewAdapter adapter = VisionLanguageTuning.adapterConfig(model, tuner.loraConfig(), tuner.freeze());
                config = PeftAllLinear.resolve(model, adapter.config()); // ms-swift's list, as PEFT converts it on fused-expert MoEs
                targetRegex = adapter.targetRegex();
                LoraInjector.inject(model, disableDropout ? withoutDropout(config) : config, rng);
            }
            int params = ParamLoraInjector.find(model).size();
            out.printf(Locale.ROOT, "%s on %d linear layers%s (r=%d, alpha=%s, dropout=%s%s)%n", config.useDora() ? "dora" : "lora",
                    LoraInjector.find(model).size(), params == 0 ? "" : " and " + params + " expert parameters", config.r(), fmt(config.alpha()),
                    disableDropout && config.dropout() > 0 ? "0 (disable_dropout; " + fmt(config.dropout()) + " saved)" : fmt(config.dropout()),
                    config.useRslora() ? ", rsLoRA" : "");
            weights = new AdapterWeights(model, config, targetRegex, dir);
        }
        return new Tuning(weights, config);
    }

    private static LoraConfig withoutDropout(LoraConfig c) {
        return new LoraConfig(c.r(), c.alpha(), 0, c.useRslora(), c.useDora(), c.targetModules(), c.targetParameters());
    }

    /**
     * A frozen reference model of rlhf (TRL's ref_model): {@code dir} (--ref_model, or --model for a copy of the
     * starting weights) loaded without gradients, on the host (an adapter may be added before it moves to the device).
     * It must share the policy's vocabulary: the reference scores the policy's token ids.
     */
    public static CausalLm reference(Path dir, CausalLm policy) throws IOException {
        CausalLm ref = causalLm(dir, false, "rlhf");
        if (ref.config().vocabSize() != policy.config().vocabSize()) {
            throw new IllegalArgumentException("--ref_model " + dir + " has a vocabulary of " + ref.config().vocabSize() + " but the model "
                    + policy.config().vocabSize() + ": the reference must share the tokenizer");
        }
        return ref;
    }

    /** The causal LM in {@code dir}, its weights trainable or frozen; a clear error for any other kind of model. */
    public static CausalLm causalLm(Path dir, boolean trainable, String command) throws IOException {
        return causalLm(dir, trainable, null, command);
    }

    /** As {@link #causalLm(Path, boolean, String)}, its linear layers quantized to 4 bits as they load when {@code quantization} is given. */
    public static CausalLm causalLm(Path dir, boolean trainable, QuantConfig4bit quantization, String command) throws IOException {
        LoadedModel loaded = ModelLoader.load(dir, trainable, quantization);
        if (!(loaded instanceof LoadedModel.CausalLm lm)) {
            throw new IllegalArgumentException(dir + " is not a causal language model: jswift " + command + " trains " + Architectures.supportedCausalLms());
        }
        return lm.model();
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
