package io.jswift.cli;

import io.jswift.train.grpo.GrpoRun;
import io.jswift.train.run.RewardModelRun;
import io.jswift.train.run.RlhfRun;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jswift rlhf}: preference training (DPO, CPO, SimPO, ORPO, KTO), reward models (rm) and GRPO with ms-swift's flags and defaults, every sft flag included. */
@Command(name = "rlhf", description = "Preference training of a causal LM (DPO, CPO, SimPO, ORPO, KTO) or of a reward model (rm) on preference pairs, GRPO with rewards; LoRA / DoRA / full, as TRL 1.13 computes it.")
final class RlhfCommand implements Callable<Integer> {
    @Mixin TrainingOptions training;
    @Mixin TunerOptions tunerOptions;
    @Mixin ChatOptions chat;
    @Mixin GrpoOptions grpo;
    @Option(names = "--rlhf_type", defaultValue = "dpo", description = "dpo (default), cpo, simpo, orpo, kto (rows with a desirable / undesirable label), rm (reward model), or grpo (online RL with rewards).") String rlhfType;
    @Option(names = "--beta", description = "dpo / kto: strength of the KL regularization toward the reference; cpo / simpo / orpo: reward scale (default 0.1; simpo 2.0).") Double beta;
    @Option(names = "--loss_type", description = "dpo: sigmoid (default), ipo, hinge or robust; cpo: sigmoid (default), hinge, ipo or simpo; simpo: simpo; kto: kto (default) or apo_zero_unpaired.") String lossType;
    @Option(names = "--label_smoothing", defaultValue = "0", description = "Assumed share of flipped labels: dpo --loss_type robust, cpo / simpo sigmoid and simpo (default 0).") double labelSmoothing;
    @Option(names = "--simpo_gamma", defaultValue = "1.0", description = "SimPO's target reward margin (default 1.0).") double simpoGamma;
    @Option(names = "--cpo_alpha", defaultValue = "1.0", description = "cpo / simpo: weight of the chosen replies' NLL (default 1.0).") double cpoAlpha;
    @Option(names = "--rpo_alpha", description = "Adds rpo_alpha x the token-averaged NLL of the chosen replies (TRL's \"sft\" loss term); default: none.") Double rpoAlpha;
    @Option(names = "--desirable_weight", defaultValue = "1.0", description = "kto: weight of the desirable rows' losses (default 1.0).") double desirableWeight;
    @Option(names = "--undesirable_weight", defaultValue = "1.0", description = "kto: weight of the undesirable rows' losses (default 1.0).") double undesirableWeight;
    @Option(names = "--center_rewards_coefficient", description = "rm: adds this x mean((r_chosen + r_rejected)^2), centring the rewards on 0 (default: none).")
    Double centerRewardsCoefficient;
    @Option(names = "--ref_model", description = "Reference model directory for --train_type full (default: a frozen copy of --model). "
            + "With LoRA / DoRA the reference is the model with its adapter disabled; grpo also takes --ref_model with LoRA / DoRA.") Path refModel;
    @Option(names = "--disable_dropout", arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "Train without dropout, LoRA's included (TRL's preference trainers' default: true).") boolean disableDropout;
    @Option(names = "--adapters", description = "Continue training this LoRA / DoRA adapter (PEFT format); dpo's reference is then a frozen copy of it "
            + "as it starts (TRL's \"ref\" adapter).") Path adapters;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        TunerArgs tuner = tunerOptions.toArgs(training.model, training.torchDtype);
        if ("grpo".equals(rlhfType)) {
            TrainArgs args = training.toArgs(tuner.isFull() ? 1e-5 : 1e-4);
            Path run = new GrpoRun(args, tuner, chat.toArgs("last_round"), grpo.toArgs(beta, lossType, refModel), adapters, disableDropout, System.out).run();
            System.out.println("done: " + run);
            TrainingOptions.printChatHint(run, tuner, training.model);
            return 0;
        }
        if ("rm".equals(rlhfType)) return rewardModel(tuner);
        if (centerRewardsCoefficient != null) throw new IllegalArgumentException("--center_rewards_coefficient is for --rlhf_type rm");
        RlhfRun.Args rlhf = new RlhfRun.Args(rlhfType, beta, lossType, labelSmoothing, rpoAlpha, simpoGamma, cpoAlpha, refModel, disableDropout,
                desirableWeight, undesirableWeight);
        TrainArgs args = training.toArgs(tuner.isFull() ? 1e-5 : 1e-4);
        Path run = new RlhfRun(args, tuner, chat.toArgs("last_round"), rlhf, adapters, System.out).run();
        System.out.println("done: " + run);
        TrainingOptions.printChatHint(run, tuner, training.model);
        return 0;
    }

    private int rewardModel(TunerArgs tuner) throws Exception {
        // the pairwise methods' knobs mean nothing to a reward model: refuse them rather than ignore them
        if (beta != null || lossType != null || rpoAlpha != null || refModel != null || desirableWeight != 1 || undesirableWeight != 1) {
            throw new IllegalArgumentException("--rlhf_type rm takes none of --beta, --loss_type, --rpo_alpha, --ref_model, --desirable_weight, --undesirable_weight (its loss is TRL's RewardTrainer's; "
                    + "--center_rewards_coefficient adds the centring term)");
        }
        TrainArgs args = training.toArgs(tuner.isFull() ? 1e-5 : 1e-4);
        Path run = new RewardModelRun(args, tuner, chat.toArgs("last_round"), new RewardModelRun.Args(centerRewardsCoefficient, disableDropout),
                adapters, System.out).run();
        System.out.println("done: " + run);
        Path last = TrainingOptions.lastCheckpoint(run);
        if (last != null) {
            System.out.println(tuner.isFull() ? "score a conversation: ./jswift logits --model " + last + " --messages FILE.json --output OUT.safetensors"
                    : "score a conversation: ./jswift logits --model " + training.model + " --adapters " + last + " --messages FILE.json --output OUT.safetensors");
        }
        return 0;
    }
}
