package io.jswift.train.run;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.ChatImages;
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
        TunedModel tuned = TunedModel.load("sft", args, tuner, adapters, out);
        CausalLm model = tuned.model();
        // conversations need the tokenizer and chat template; a directory without them still trains pre-tokenized rows
        Encoder encoder = hasTokenizer ? chatEncoder(dir, model) : new TokenizedOnlyEncoder(dir);
        EncodedDataset.Splits data = EncodedDataset.load(args.datasets(), args.valDatasets(), encoder, args.datasetOptions(model.config().vocabSize()));
        Map<String, Object> json = argsJson(args, tuner, chat, adapters);
        return TrainingLoop.run(new RunSetup("sft", args, model, tuned.weights(), tuned.rng(), json, out), new CausalLmObjective(model, args.gradientCheckpointing(), args.routerAuxLossCoef(), w -> out.println("warning: " + w)), data);
    }

    /** The model's chat encoder; a vision-language model's also reads the rows' images. */
    private ChatEncoder chatEncoder(Path dir, CausalLm model) throws IOException {
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        return new ChatEncoder(tokenizer, ChatTemplate.fromDirectory(dir), LossScale.parse(chat.lossScale()), chat.system(),
                SelfCognition.of(chat.modelName(), chat.modelAuthor()), model.acceptsImages() ? ChatImages.fromDirectory(dir, tokenizer) : null);
    }

    /** args.json of a run with a tuner and chat options ({@code sft}, and the start of {@code rlhf}'s). */
    public static Map<String, Object> argsJson(TrainArgs args, TunerArgs tuner, ChatArgs chat, Path adapters) {
        Map<String, Object> json = new LinkedHashMap<>(PretrainingRun.argsJson(args));
        json.put("train_type", tuner.trainType());
        if (!tuner.isFull()) {
            json.put("lora_rank", tuner.loraRank());
            json.put("lora_alpha", tuner.loraAlpha());
            json.put("lora_dropout", tuner.loraDropout());
            json.put("use_rslora", tuner.useRslora());
            json.put("target_modules", tuner.targetModules());
            json.put("target_parameters", tuner.targetParameters().isEmpty() ? null : tuner.targetParameters());
        }
        json.put("freeze_llm", tuner.freeze().freezeLlm());
        json.put("freeze_vit", tuner.freeze().freezeVit());
        json.put("freeze_aligner", tuner.freeze().freezeAligner());
        json.put("adapters", adapters == null ? null : adapters.toString());
        json.put("loss_scale", chat.lossScale());
        json.put("system", chat.system());
        json.put("model_name", chat.modelName());
        json.put("model_author", chat.modelAuthor());
        return json;
    }
}
