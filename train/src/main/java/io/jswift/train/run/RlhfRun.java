package io.jswift.train.run;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.CausalLm;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Generator;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.SelfCognition;
import io.jswift.train.pref.CpoLoss;
import io.jswift.train.pref.CpoObjective;
import io.jswift.train.pref.DpoLoss;
import io.jswift.train.pref.DpoObjective;
import io.jswift.train.pref.KtoDataset;
import io.jswift.train.pref.KtoEncoder;
import io.jswift.train.pref.KtoLoss;
import io.jswift.train.pref.KtoObjective;
import io.jswift.train.pref.OrpoLoss;
import io.jswift.train.pref.OrpoObjective;
import io.jswift.train.pref.PreferenceDataset;
import io.jswift.train.pref.PreferenceEncoder;
import io.jswift.train.pref.PreferencePair;
import io.jswift.train.pref.Reference;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code jswift rlhf}: preference training (DPO, CPO, SimPO, ORPO, KTO) of a causal LM on preference pairs rendered by its chat template, with
 * a LoRA / DoRA adapter or every weight; DPO's reference is the same model with the adapter disabled, or for full
 * training a frozen copy of the starting checkpoint or {@code --ref_model}, as TRL 1.13 does (CPO, SimPO and ORPO have none). The loop, checkpoints and
 * resume are {@link TrainingLoop}'s; the loss is the method's objective ({@link DpoObjective}, {@link CpoObjective} for cpo and simpo, {@link OrpoObjective}).
 */
public final class RlhfRun {
    /**
     * ms-swift's RLHFArguments for the pairwise methods; null means ms-swift's default for the method.
     *
     * @param rlhfType   dpo, cpo, simpo (ms-swift runs simpo as CPO with loss_type simpo) or orpo
     * @param beta       null: 2.0 for simpo, else 0.1
     * @param lossType   null: simpo for simpo, else sigmoid
     * @param rpoAlpha   dpo: null = no NLL term (ms-swift's default); else TRL's "sft" loss term with this weight
     * @param simpoGamma SimPO's target margin (ms-swift's default 1.0)
     * @param cpoAlpha   weight of the chosen NLL in CPO / SimPO (ms-swift's default 1.0)
     * @param refModel   dpo with full training: the reference (null: a frozen copy of --model)
     * @param disableDropout no dropout while training (TRL's disable_dropout, default true in its preference trainers)
     * @param desirableWeight   kto: weight of the desirable rows' losses (ms-swift's default 1.0)
     * @param undesirableWeight kto: weight of the undesirable rows' losses (ms-swift's default 1.0)
     */
    public record Args(String rlhfType, Double beta, String lossType, double labelSmoothing, Double rpoAlpha, double simpoGamma, double cpoAlpha,
                       Path refModel, boolean disableDropout, double desirableWeight, double undesirableWeight) {
        public Args {
            if (!List.of("dpo", "cpo", "simpo", "orpo", "kto").contains(rlhfType)) {
                throw new IllegalArgumentException("--rlhf_type must be dpo, cpo, simpo, orpo, kto, rm or grpo, got '" + rlhfType + "'");
            }
            if (rlhfType.equals("orpo") && lossType != null) throw new IllegalArgumentException("orpo has one loss: drop --loss_type");
            if (!hasReference(rlhfType) && refModel != null) throw new IllegalArgumentException("--rlhf_type " + rlhfType + " has no reference model: drop --ref_model");
            if (!rlhfType.equals("dpo") && rpoAlpha != null) throw new IllegalArgumentException("--rpo_alpha is for dpo; cpo and simpo weight their NLL with --cpo_alpha");
            if (!rlhfType.equals("kto") && (desirableWeight != 1 || undesirableWeight != 1)) {
                throw new IllegalArgumentException("--desirable_weight and --undesirable_weight are for --rlhf_type kto");
            }
        }

        /** The methods with a reference model: dpo and kto (TRL's ref_model; cpo, simpo and orpo are reference-free). */
        public boolean hasReference() { return hasReference(rlhfType); }

        private static boolean hasReference(String type) { return type.equals("dpo") || type.equals("kto"); }

        public boolean isKto() { return rlhfType.equals("kto"); }

        public double effectiveBeta() { return beta != null ? beta : rlhfType.equals("simpo") ? 2.0 : 0.1; }

        public String effectiveLossType() {
            return lossType != null ? lossType : switch (rlhfType) {
                case "simpo" -> "simpo";
                case "kto" -> "kto";
                default -> "sigmoid";
            };
        }

        public KtoLoss ktoLoss() { return new KtoLoss(KtoLoss.Type.parse(effectiveLossType()), effectiveBeta(), desirableWeight, undesirableWeight); }

        public DpoLoss dpoLoss() { return DpoLoss.of(effectiveLossType(), effectiveBeta(), labelSmoothing, rpoAlpha); }

        public OrpoLoss orpoLoss() { return new OrpoLoss(effectiveBeta()); }

        public CpoLoss cpoLoss() {
            return new CpoLoss(CpoLoss.Type.parse(effectiveLossType()), effectiveBeta(), labelSmoothing, simpoGamma, cpoAlpha);
        }
    }

    private final TrainArgs args;
    private final TunerArgs tuner;
    private final SftRun.ChatArgs chat;
    private final Args rlhf;
    private final Path adapters;
    private final PrintStream out;

    public RlhfRun(TrainArgs args, TunerArgs tuner, SftRun.ChatArgs chat, Args rlhf, Path adapters, PrintStream out) {
        if (args.packing()) throw new IllegalArgumentException("--packing does not go with jswift rlhf (each pair is two sequences of its own)");
        if (adapters != null && tuner.isFull()) throw new IllegalArgumentException("--adapters continues a LoRA / DoRA adapter; it does not go with --train_type full");
        if (rlhf.refModel() != null && !tuner.isFull()) {
            // ms-swift: "CPO/ORPO or LoRA training does not require a ref_model"; TRL's reference for an adapter is the base model
            throw new IllegalArgumentException("--ref_model goes with --train_type full; with LoRA / DoRA the reference is the model with its adapter disabled");
        }
        // bad --loss_type / --beta / --label_smoothing fail before any model is loaded
        if (rlhf.isKto()) {
            if (rlhf.ktoLoss().type().estimatesKl() && args.perDeviceTrainBatchSize() < 2) {
                throw new IllegalArgumentException("kto estimates its KL term from mismatched pairs within a batch: --per_device_train_batch_size must be > 1 "
                        + "(as TRL requires), got " + args.perDeviceTrainBatchSize());
            }
        } else {
            objective(rlhf, null, null, false);
        }
        this.args = args;
        this.tuner = tuner;
        this.chat = chat;
        this.rlhf = rlhf;
        this.adapters = adapters;
        this.out = out;
    }

    /** The method's objective (its loss built, hence checked, even without a model). */
    private static Objective<PreferencePair> objective(Args rlhf, CausalLm model, Reference reference, boolean checkpointing) {
        return switch (rlhf.rlhfType()) {
            case "dpo" -> new DpoObjective(model, reference, rlhf.dpoLoss(), checkpointing);
            case "orpo" -> new OrpoObjective(model, rlhf.orpoLoss(), checkpointing);
            default -> new CpoObjective(model, rlhf.cpoLoss(), checkpointing);
        };
    }

    /** Trains and returns the run directory. */
    public Path run() throws IOException {
        Path dir = args.model();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(dir + " has no tokenizer.json: jswift rlhf renders preference rows with the model's tokenizer and chat template");
        }
        TunedModel tuned = TunedModel.load("rlhf", args, tuner, adapters, rlhf.disableDropout(), out);
        CausalLm model = tuned.model();
        Reference reference = reference(model);
        // ms-swift's rlhf trains the last round (loss_scale last_round): earlier replies are prompt
        ChatEncoder chatEncoder = new ChatEncoder(Tokenizer.fromDirectory(dir), ChatTemplate.fromDirectory(dir), LossScale.LAST_ROUND, chat.system(),
                SelfCognition.of(chat.modelName(), chat.modelAuthor()));
        Map<String, Object> json = new LinkedHashMap<>(SftRun.argsJson(args, tuner, chat, adapters));
        json.put("loss_scale", "last_round");
        json.put("rlhf_type", rlhf.rlhfType());
        json.put("beta", rlhf.effectiveBeta());
        json.put("loss_type", rlhf.effectiveLossType());
        if (rlhf.isKto()) {
            json.put("desirable_weight", rlhf.desirableWeight());
            json.put("undesirable_weight", rlhf.undesirableWeight());
        } else {
            json.put("label_smoothing", rlhf.labelSmoothing());
            json.put("rpo_alpha", rlhf.rpoAlpha());
            json.put("simpo_gamma", rlhf.simpoGamma());
            json.put("cpo_alpha", rlhf.cpoAlpha());
        }
        json.put("ref_model", rlhf.refModel() == null ? null : rlhf.refModel().toString());
        json.put("disable_dropout", rlhf.disableDropout());
        RunSetup setup = new RunSetup("rlhf", args, model, tuned.weights(), tuned.rng(), json, out);
        if (rlhf.isKto()) {
            KtoDataset.Splits data = KtoDataset.load(args.datasets(), args.valDatasets(), new KtoEncoder(chatEncoder),
                    args.datasetOptions(model.config().vocabSize()));
            KtoDataset train = data.train();
            out.println(DatasetReport.line(train.counts(), false, args.maxLength()).replace("samples", "examples")
                    + String.format(Locale.ROOT, " (%d desirable, %d undesirable)", train.desirable(), train.undesirable()));
            KtoObjective objective = new KtoObjective(model, reference, rlhf.ktoLoss(), args.maxLength(), args.gradientCheckpointing());
            return new TrainingLoop<>(setup, objective).run(train.source(), data.validation() == null ? null : data.validation().source(), train.counts());
        }
        PreferenceDataset.Splits data = PreferenceDataset.load(args.datasets(), args.valDatasets(), new PreferenceEncoder(chatEncoder),
                args.datasetOptions(model.config().vocabSize()));
        out.println(DatasetReport.line(data.train().counts(), false, args.maxLength()).replace("samples", "pairs"));
        Objective<PreferencePair> objective = objective(rlhf, model, reference, args.gradientCheckpointing());
        return new TrainingLoop<>(setup, objective).run(data.train().source(), data.validation() == null ? null : data.validation().source(),
                data.train().counts());
    }

    /**
     * The reference (TRL's ref_model) of dpo and kto, null for the reference-free methods: for full training a frozen
     * copy of --model or --ref_model; with a continued --adapters a frozen copy of the adapter as it starts; else the
     * policy with its adapter disabled.
     */
    private Reference reference(CausalLm model) throws IOException {
        Path dir = args.model();
        Reference reference = null;
        if (!rlhf.hasReference()) {
            out.println("no reference model (" + rlhf.rlhfType() + " is reference-free)");
        } else if (tuner.isFull()) {
            Path refDir = rlhf.refModel() == null ? dir : rlhf.refModel();
            CausalLm ref = TunedModel.reference(refDir, model);
            ref.to(args.targetDevice());
            reference = Reference.frozen(ref);
            out.printf(Locale.ROOT, "reference: %s (frozen)%n", refDir);
        } else if (adapters != null) {
            // TRL 1.13 compares a continued adapter with a frozen copy of its starting weights (its "ref" adapter), not
            // with the base model: here a second, frozen load of the base model with the starting adapter
            CausalLm ref = TunedModel.causalLm(dir, false, "rlhf");
            PeftAdapter.load(adapters, ref, new Generator(args.seed()));
            ref.to(args.targetDevice());
            reference = Reference.frozen(ref);
            out.printf(Locale.ROOT, "reference: %s with the adapter %s as it starts (frozen)%n", dir, adapters);
        } else {
            reference = Reference.adaptersDisabled(model);
            out.println("reference: the model with its adapter disabled");
        }
        return reference;
    }
}
