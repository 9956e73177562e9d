package io.jswift.train.run;

import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.SelfCognition;
import io.jswift.train.pref.DpoLoss;
import io.jswift.train.pref.DpoObjective;
import io.jswift.train.pref.PreferenceDataset;
import io.jswift.train.pref.PreferenceEncoder;
import io.jswift.train.pref.Reference;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jswift rlhf}: preference training of a causal LM on preference pairs rendered by its chat template, with
 * a LoRA / DoRA adapter (the reference is the same model with the adapter disabled) or every weight (the reference
 * is a frozen copy of the starting checkpoint, or {@code --ref_model}), as TRL 1.13 does. The loop, checkpoints and
 * resume are {@link TrainingLoop}'s; the loss is the method's objective ({@link DpoObjective}).
 */
public final class RlhfRun {
    /**
     * ms-swift's RLHFArguments for the pairwise methods (defaults as ms-swift sets them).
     *
     * @param beta     null: ms-swift's default for the method (0.1 for dpo)
     * @param lossType null: the method's default (sigmoid for dpo)
     * @param rpoAlpha null: no NLL term (ms-swift's default); else TRL's "sft" loss term with this weight
     * @param refModel null: the reference is the starting model (adapter disabled, or a frozen copy)
     */
    public record Args(String rlhfType, Double beta, String lossType, double labelSmoothing, Double rpoAlpha, Path refModel) {
        public Args {
            if (!rlhfType.equals("dpo")) {
                throw new IllegalArgumentException("--rlhf_type " + rlhfType + " is not available yet: jswift rlhf trains dpo "
                        + "(orpo, simpo, cpo, kto, rm and grpo are planned)");
            }
        }

        public double effectiveBeta() { return beta == null ? 0.1 : beta; }

        public String effectiveLossType() { return lossType == null ? "sigmoid" : lossType; }

        public DpoLoss dpoLoss() { return DpoLoss.of(effectiveLossType(), effectiveBeta(), labelSmoothing, rpoAlpha); }
    }

    private final TrainArgs args;
    private final TunerArgs tuner;
    private final SftRun.ChatArgs chat;
    private final Args rlhf;
    private final Path adapters;
    private final PrintStream out;

    public RlhfRun(TrainArgs args, TunerArgs tuner, SftRun.ChatArgs chat, Args rlhf, Path adapters, PrintStream out) {
        if (adapters != null && tuner.isFull()) throw new IllegalArgumentException("--adapters continues a LoRA / DoRA adapter; it does not go with --train_type full");
        if (rlhf.refModel() != null && !tuner.isFull()) {
            // ms-swift: "CPO/ORPO or LoRA training does not require a ref_model"; TRL's reference for an adapter is the base model
            throw new IllegalArgumentException("--ref_model goes with --train_type full; with LoRA / DoRA the reference is the model with its adapter disabled");
        }
        if (adapters != null) {
            // TRL 1.13 compares a continued adapter with a frozen copy of its starting weights ("ref" adapter), not with the base model
            throw new IllegalArgumentException("--adapters with jswift rlhf is not available yet (TRL's reference would be a frozen copy of the adapter)");
        }
        rlhf.dpoLoss(); // bad --loss_type / --beta / --label_smoothing fail before any model is loaded
        this.args = args;
        this.tuner = tuner;
        this.chat = chat;
        this.rlhf = rlhf;
        this.adapters = adapters;
        this.out = out;
    }

    /** Trains and returns the run directory. */
    public Path run() throws IOException {
        Path dir = args.model();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json: jswift rlhf renders preference rows with the model's tokenizer and chat template");
        }
        TunedModel tuned = TunedModel.load("rlhf", args, tuner, adapters, out);
        DecoderLm model = tuned.model();
        Reference reference;
        if (tuner.isFull()) {
            Path refDir = rlhf.refModel() == null ? dir : rlhf.refModel();
            DecoderLm ref = TunedModel.causalLm(refDir, false, "rlhf");
            if (ref.config().vocabSize() != model.config().vocabSize()) {
                throw new IllegalArgumentException("--ref_model " + refDir + " has a vocabulary of " + ref.config().vocabSize() + " but the model "
                        + model.config().vocabSize() + ": the reference must share the tokenizer");
            }
            ref.to(args.targetDevice());
            reference = Reference.frozen(ref);
            out.printf(Locale.ROOT, "reference: %s (frozen)%n", refDir);
        } else {
            reference = Reference.adaptersDisabled(model);
            out.println("reference: the model with its adapter disabled");
        }
        // ms-swift's rlhf trains the last round (loss_scale last_round): earlier replies are prompt
        ChatEncoder chatEncoder = new ChatEncoder(Tokenizer.fromDirectory(dir), ChatTemplate.fromDirectory(dir), LossScale.LAST_ROUND, chat.system(),
                SelfCognition.of(chat.modelName(), chat.modelAuthor()));
        PreferenceDataset.Splits data = PreferenceDataset.load(args.datasets(), args.valDatasets(), new PreferenceEncoder(chatEncoder),
                args.datasetOptions(model.config().vocabSize()));
        if (args.packing()) throw new IllegalArgumentException("--packing does not go with jswift rlhf (each pair is two sequences of its own)");
        out.println(DatasetReport.line(data.train().counts(), false, args.maxLength()).replace("samples", "pairs"));
        Map<String, Object> json = new LinkedHashMap<>(SftRun.argsJson(args, tuner, chat, adapters));
        json.put("loss_scale", "last_round");
        json.put("rlhf_type", rlhf.rlhfType());
        json.put("beta", rlhf.effectiveBeta());
        json.put("loss_type", rlhf.effectiveLossType());
        json.put("label_smoothing", rlhf.labelSmoothing());
        json.put("rpo_alpha", rlhf.rpoAlpha());
        json.put("ref_model", rlhf.refModel() == null ? null : rlhf.refModel().toString());
        RunSetup setup = new RunSetup("rlhf", args, model, tuned.weights(), tuned.rng(), json, out);
        DpoObjective objective = new DpoObjective(model, reference, rlhf.dpoLoss(), args.gradientCheckpointing());
        return new TrainingLoop<>(setup, objective).run(data.train().source(), data.validation() == null ? null : data.validation().source(),
                data.train().counts());
    }
}
