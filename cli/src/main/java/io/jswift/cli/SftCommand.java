package io.jswift.cli;

import io.jswift.train.run.SftRun;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jswift sft}: supervised fine-tuning with LoRA / DoRA / full, flags as ms-swift's. */
@Command(name = "sft", description = "Fine-tune a causal LM on conversations (LoRA, DoRA or full), loss on the assistant replies.")
final class SftCommand implements Callable<Integer> {
    @Mixin TrainingOptions training;
    @Mixin TunerOptions tunerOptions;
    @Mixin ChatOptions chat;
    @Option(names = "--loss_scale", defaultValue = "default", description = "default (every assistant reply), last_round, or all (every token).") String lossScale;
    @Option(names = "--adapters", description = "Continue training this LoRA / DoRA adapter (PEFT format; its config sets rank, alpha, targets).") Path adapters;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        TunerArgs tuner = tunerOptions.toArgs(training.model, training.torchDtype);
        TrainArgs args = training.toArgs(tuner.isFull() ? 1e-5 : 1e-4);
        Path run = new SftRun(args, tuner, chat.toArgs(lossScale), adapters, System.out).run();
        System.out.println("done: " + run);
        TrainingOptions.printChatHint(run, tuner, training.model);
        return 0;
    }
}
