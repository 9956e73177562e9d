package io.jswift.train.run;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.decoder.DecoderClassifier;
import io.jswift.models.load.ClassifierConfigJson;
import io.jswift.models.load.ClassifierPad;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.arch.Architectures;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Generator;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.SelfCognition;
import io.jswift.train.pref.PreferenceDataset;
import io.jswift.train.pref.PreferenceEncoder;
import io.jswift.train.pref.RewardLoss;
import io.jswift.train.pref.RewardObjective;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jswift rlhf --rlhf_type rm}: a reward model trained on preference pairs as TRL 1.13's RewardTrainer (what
 * ms-swift runs): the causal LM of {@code --model} becomes its {@code *ForSequenceClassification} with one label (a new
 * score head, N(0, initializer_range), as transformers initializes the missing score.weight), or an existing reward
 * model continues; each sequence of a pair is the conversation rendered by the chat template as {@code sft} renders it,
 * its reward the score at its last non-pad token (pad = the tokenizer's pad token, else its eos, as TRL sets it). With
 * LoRA / DoRA the score head trains whole and goes into the adapter (PEFT's SEQ_CLS modules_to_save); full checkpoints
 * are *ForSequenceClassification directories transformers loads.
 */
public final class RewardModelRun {
    /**
     * @param centerRewardsCoefficient null: no centring term (ms-swift's default)
     * @param disableDropout           TRL RewardConfig's disable_dropout (default true)
     */
    public record Args(Double centerRewardsCoefficient, boolean disableDropout) {
        public Args {
            new RewardLoss(centerRewardsCoefficient); // a bad coefficient fails before any model is loaded
        }
    }

    private final TrainArgs args;
    private final TunerArgs tuner;
    private final SftRun.ChatArgs chat;
    private final Args rm;
    private final Path adapters;
    private final PrintStream out;

    public RewardModelRun(TrainArgs args, TunerArgs tuner, SftRun.ChatArgs chat, Args rm, Path adapters, PrintStream out) {
        if (args.packing()) throw new IllegalArgumentException("--packing does not go with jswift rlhf (each pair is two sequences of its own)");
        if (adapters != null && tuner.isFull()) throw new IllegalArgumentException("--adapters continues a LoRA / DoRA adapter; it does not go with --train_type full");
        this.args = args;
        this.tuner = tuner;
        this.chat = chat;
        this.rm = rm;
        this.adapters = adapters;
        this.out = out;
    }

    /** Trains and returns the run directory. */
    public Path run() throws IOException {
        Path dir = args.model();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json: jswift rlhf renders preference rows with the model's tokenizer and chat template");
        }
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        Integer pad = ClassifierPad.ofTokenizer(tokenizer);
        if (pad == null) throw new IllegalArgumentException(dir + ": the tokenizer has neither a pad nor an eos token to find where each sequence ends");
        Generator rng = new Generator(args.seed()); // the new score head, then LoRA init, then every dropout draw
        DecoderClassifier model = switch (ModelLoader.load(dir, tuner.isFull(), tuner.quantization())) {
            case LoadedModel.CausalLm lm -> {
                double range = ConfigJson.read(dir.resolve("config.json")).optDouble("initializer_range", 0.02);
                out.printf(Locale.ROOT, "reward model: %s with a new score head (1 label, N(0, %s))%n",
                        Architectures.classifierName(lm.model().config().architecture()), range);
                yield DecoderClassifier.withNewScore(lm.model(), 1, pad, range, rng);
            }
            case LoadedModel.SequenceClassifier c -> {
                out.println("reward model: continuing " + c.model().decoder().config().architecture());
                yield new DecoderClassifier(c.model().decoder(), c.model().score(), pad); // TRL sets the config's pad id from the tokenizer
            }
            default -> throw new IllegalArgumentException(dir + " is neither a causal language model nor a sequence classifier: jswift rlhf --rlhf_type rm trains "
                    + Architectures.supportedCausalLms() + " (or their *ForSequenceClassification)");
        };
        if (model.numLabels() != 1) throw new IllegalArgumentException(dir + " classifies into " + model.numLabels() + " labels; a reward model has one");
        if (tuner.isFull()) model.requiresGrad(true);
        TunedModel.Tuning tuning = TunedModel.tune(model, model.decoder().config().dtype(), rng, args, tuner, adapters, rm.disableDropout(), out);
        if (!tuner.isFull()) model.score().requiresGrad(true); // PEFT's modules_to_save: the head trains whole
        TrainedWeights weights = tuner.isFull() ? new ClassifierWeights(tuning.weights(), model) : tuning.weights();
        model.to(args.targetDevice());

        // ms-swift's rlhf trains the last round (loss_scale last_round); the reward model reads whole conversations
        ChatEncoder chatEncoder = new ChatEncoder(tokenizer, ChatTemplate.fromDirectory(dir), LossScale.LAST_ROUND, chat.system(),
                SelfCognition.of(chat.modelName(), chat.modelAuthor()));
        PreferenceDataset.Splits data = PreferenceDataset.load(args.datasets(), args.valDatasets(), new PreferenceEncoder(chatEncoder),
                args.datasetOptions(model.decoder().config().vocabSize()));
        out.println(DatasetReport.line(data.train().counts(), false, args.maxLength()).replace("samples", "pairs"));
        Map<String, Object> json = new LinkedHashMap<>(SftRun.argsJson(args, tuner, chat, adapters));
        json.put("loss_scale", "last_round");
        json.put("rlhf_type", "rm");
        json.put("center_rewards_coefficient", rm.centerRewardsCoefficient());
        json.put("pad_token_id", pad);
        json.put("disable_dropout", rm.disableDropout());
        RunSetup setup = new RunSetup("rlhf", args, model, weights, rng, json, out);
        RewardObjective objective = new RewardObjective(model, new RewardLoss(rm.centerRewardsCoefficient()), args.gradientCheckpointing());
        return new TrainingLoop<>(setup, objective).run(data.train().source(), data.validation() == null ? null : data.validation().source(),
                data.train().counts());
    }

    /** Full checkpoints of a reward model: the weights as {@link FullWeights} writes them, config.json saying *ForSequenceClassification. */
    private record ClassifierWeights(TrainedWeights full, DecoderClassifier model) implements TrainedWeights {
        @Override
        public void write(Path dir) throws IOException {
            full.write(dir);
            ClassifierConfigJson.rewrite(dir.resolve("config.json"), model);
        }

        @Override
        public void restore(Path dir) throws IOException {
            full.restore(dir);
        }
    }
}
