package io.jswift.cli;

import io.jswift.train.run.PretrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jswift pt}: full-parameter training (loss on every token), flags named as in ms-swift / HF TrainingArguments. */
@Command(name = "pt", description = "Pretrain / fully fine-tune a causal LM on text or pre-tokenized JSONL rows.")
final class PtCommand implements Callable<Integer> {
    @Mixin TrainingOptions training;
    @Option(names = "--train_type", defaultValue = "full", description = "Only 'full' for pt (LoRA / DoRA: jswift sft).") String trainType;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!trainType.equals("full")) throw new IllegalArgumentException("--train_type " + trainType + " is not available for pt (only full); use jswift sft for LoRA / DoRA");
        Path run = new PretrainingRun(training.toArgs(1e-5), System.out).run();
        System.out.println("done: " + run);
        return 0;
    }
}
