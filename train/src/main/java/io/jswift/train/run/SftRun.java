package io.jswift.train.run;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.Encoder;
import io.jswift.train.encode.TokenizedOnlyEncoder;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.SelfCognition;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jswift sft}: supervised fine-tuning of a causal LM on conversations rendered by the model's own chat
 * template (the renderer inference uses, so training and serving never disagree), loss on the assistant
 * replies by default, with a LoRA / DoRA adapter (PEFT-compatible checkpoints) or every weight. The loop,
 * checkpoints and resume are {@link TrainingLoop}'s, the loss {@link CausalLmObjective}'s.
 */
public final class SftRun {
    /** ms-swift's template options: --loss_scale, --system, --model_name, --model_author. */
    public record ChatArgs(String lossScale, String system, List<String> modelName, List<String> modelAuthor) {
        public ChatArgs {
            LossScale.parse(lossScale);
            modelName = modelName == null ? List.of() : List.copyOf(modelName);
            modelAuthor = modelAuthor == null ? List.of() : List.copyOf(modelAuthor);
        }
    }

    private final TrainArgs args;
    private final TunerArgs tuner;
    private final ChatArgs chat;
    private final PrintStream out;
    private final Path adapters; // continue training this PEFT adapter (ms-swift's sft --adapters), or null

    public SftRun(TrainArgs args, TunerArgs tuner, ChatArgs chat, PrintStream out) {
        this(args, tuner, chat, null, out);
    }

    public SftRun(TrainArgs args, TunerArgs tuner, ChatArgs chat, Path adapters, PrintStream out) {
        if (adapters != null && tuner.isFull()) throw new IllegalArgumentException("--adapters continues a LoRA / DoRA adapter; it does not go with --train_type full");
        this.args = args;
        this.tuner = tuner;
        this.chat = chat;
        this.adapters = adapters;
        this.out = out;
    }

    /** Trains and returns the run directory. */
    public Path run() throws IOException {
        Path dir = args.model();
        boolean hasTokenizer = Files.isRegularFile(dir.resolve("tokenizer.json"));
        LoadedModel loaded = ModelLoader.load(dir, tuner.isFull(), tuner.quantization());
        if (!(loaded instanceof LoadedModel.CausalLm lm)) {
            throw new IllegalArgumentException(dir + " is not a causal language model: jswift sft trains " + Architectures.supportedCausalLms());
        }
        CausalLm model = lm.model();
        Generator rng = new Generator(args.seed()); // LoRA init, then every dropout draw (its offset is checkpointed)
        TrainedWeights weights;
        if (tuner.isFull()) {
            DType saveType = args.torchDtype() == null ? model.config().dtype() : PretrainingRun.parseDtype(args.torchDtype());
            weights = new FullWeights(model, saveType, dir);
        } else {
            LoraConfig config;
            if (adapters != null) { // the adapter's own config (PEFT's) decides rank, alpha, dropout and targets
                config = PeftAdapter.load(adapters, model, rng);
                out.printf(Locale.ROOT, "continuing the adapter in %s%n", adapters);
            } else {
                config = tuner.loraConfig();
                LoraInjector.inject(model, config, rng);
            }
            out.printf(Locale.ROOT, "%s on %d linear layers (r=%d, alpha=%s, dropout=%s%s)%n", config.useDora() ? "dora" : "lora",
                    LoraInjector.find(model).size(), config.r(), fmt(config.alpha()), fmt(config.dropout()), config.useRslora() ? ", rsLoRA" : "");
            weights = new AdapterWeights(model, config, dir);
        }
        model.to(args.targetDevice()); // loaded on the host (memory-mapped), adapters added, then copied to the device as a whole
        // conversations need the tokenizer and chat template; a directory without them still trains pre-tokenized rows
        Encoder encoder = hasTokenizer
                ? new ChatEncoder(Tokenizer.fromDirectory(dir), ChatTemplate.fromDirectory(dir), LossScale.parse(chat.lossScale()), chat.system(),
                        SelfCognition.of(chat.modelName(), chat.modelAuthor()))
                : new TokenizedOnlyEncoder(dir);
        EncodedDataset.Splits data = EncodedDataset.load(args.datasets(), args.valDatasets(), encoder, args.datasetOptions(model.config().vocabSize()));
        Map<String, Object> json = new LinkedHashMap<>(PretrainingRun.argsJson(args));
        json.put("train_type", tuner.trainType());
        if (!tuner.isFull()) {
            json.put("lora_rank", tuner.loraRank());
            json.put("lora_alpha", tuner.loraAlpha());
            json.put("lora_dropout", tuner.loraDropout());
            json.put("use_rslora", tuner.useRslora());
            json.put("target_modules", tuner.targetModules());
        }
        json.put("adapters", adapters == null ? null : adapters.toString());
        json.put("loss_scale", chat.lossScale());
        json.put("system", chat.system());
        json.put("model_name", chat.modelName());
        json.put("model_author", chat.modelAuthor());
        return TrainingLoop.run(new RunSetup("sft", args, model, weights, rng, json, out), new CausalLmObjective(model, args.gradientCheckpointing()), data);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
