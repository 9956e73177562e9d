package io.jswift.cli;

import io.jswift.train.run.SftRun;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jswift sft}: supervised fine-tuning with LoRA / DoRA / full, flags as ms-swift's. */
@Command(name = "sft", description = "Fine-tune a causal LM on conversations (LoRA, DoRA or full), loss on the assistant replies.")
final class SftCommand implements Callable<Integer> {
    @Mixin TrainingOptions training;
    @Option(names = {"--train_type", "--tuner_type"}, defaultValue = "lora", description = "lora, dora or full (default lora).") String trainType;
    @Option(names = "--lora_rank", defaultValue = "8") int loraRank;
    @Option(names = "--lora_alpha", defaultValue = "32") double loraAlpha;
    @Option(names = "--lora_dropout", defaultValue = "0.05") double loraDropout;
    @Option(names = "--use_rslora", arity = "0..1", fallbackValue = "true", defaultValue = "false", description = "Scale by alpha/sqrt(r) (rsLoRA).") boolean useRslora;
    @Option(names = "--target_modules", arity = "1..*", split = ",", defaultValue = "all-linear", description = "all-linear, or names such as q_proj,v_proj.") List<String> targetModules;
    @Option(names = "--loss_scale", defaultValue = "default", description = "default (every assistant reply), last_round, or all (every token).") String lossScale;
    @Option(names = "--system", description = "System prompt for rows that have none.") String system;
    @Option(names = "--model_name", arity = "1..2", description = "Replaces {{NAME}} in the data (self-cognition); two values: Chinese, English.") List<String> modelName;
    @Option(names = "--model_author", arity = "1..2", description = "Replaces {{AUTHOR}} in the data; two values: Chinese, English.") List<String> modelAuthor;
    @Option(names = "--adapters", description = "Continue training this LoRA / DoRA adapter (PEFT format; its config sets rank, alpha, targets).") Path adapters;
    @Mixin QuantOptions quant;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        TrainArgs args = training.toArgs(trainType.equals("full") ? 1e-5 : 1e-4);
        TunerArgs tuner = new TunerArgs(trainType, loraRank, loraAlpha, loraDropout, useRslora, targetModules,
                quant.resolve(args.model(), args.torchDtype()));
        Path run = new SftRun(args, tuner, new SftRun.ChatArgs(lossScale, system, modelName, modelAuthor), adapters, System.out).run();
        System.out.println("done: " + run);
        Path last = TrainingOptions.lastCheckpoint(run);
        if (last != null) {
            System.out.println(tuner.isFull()
                    ? "chat with it: ./jswift infer --model " + last
                    : "chat with it: ./jswift infer --model " + training.model + " --adapters " + last);
        }
        return 0;
    }
}
