package io.jswift.cli;

import io.jswift.train.data.DatasetSpec;
import io.jswift.train.run.PretrainingRun;
import io.jswift.train.run.TrainArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jswift pt}: full-parameter training (loss on every token), flags named as in ms-swift / HF TrainingArguments. */
@Command(name = "pt", description = "Pretrain / fully fine-tune a causal LM on pre-tokenized JSONL rows.")
final class PtCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model directory.") Path model;
    @Option(names = "--dataset", required = true, arity = "1..*", description = "JSONL / JSON files, FILE#N to sample N rows.") List<String> dataset;
    @Option(names = "--output_dir", defaultValue = "output", description = "Runs go to OUTPUT_DIR/vN-YYYYMMDD-HHMMSS (default: output).") Path outputDir;
    @Option(names = "--train_type", defaultValue = "full", description = "Only 'full' for pt (LoRA arrives with sft).") String trainType;
    @Option(names = "--optim", defaultValue = "adamw", description = "adamw or sgd.") String optim;
    @Option(names = "--learning_rate", defaultValue = "1e-5") double learningRate;
    @Option(names = "--lr_scheduler_type", defaultValue = "cosine", description = "constant, constant_with_warmup, linear, cosine.") String scheduler;
    @Option(names = "--warmup_ratio", defaultValue = "0") double warmupRatio;
    @Option(names = "--weight_decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--max_grad_norm", defaultValue = "1.0", description = "Global-norm clipping; 0 disables.") double maxGradNorm;
    @Option(names = "--max_steps", defaultValue = "-1") int maxSteps;
    @Option(names = "--num_train_epochs", defaultValue = "1") double epochs;
    @Option(names = "--per_device_train_batch_size", defaultValue = "1") int batchSize;
    @Option(names = "--gradient_accumulation_steps", defaultValue = "1") int accumulation;
    @Option(names = "--max_length", defaultValue = "2048") int maxLength;
    @Option(names = "--torch_dtype", description = "dtype of saved weights: float32, bfloat16, float16 (default: the model's).") String torchDtype;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--save_steps", defaultValue = "500") int saveSteps;
    @Option(names = "--logging_steps", defaultValue = "5") int loggingSteps;
    @Option(names = "--gradient_checkpointing", arity = "0..1", fallbackValue = "true", defaultValue = "false") boolean checkpointing;
    @Option(names = "--adam_beta1", defaultValue = "0.9") double beta1;
    @Option(names = "--adam_beta2", defaultValue = "0.95") double beta2;
    @Option(names = "--adam_epsilon", defaultValue = "1e-8") double epsilon;
    @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum.") double momentum;
    @Option(names = "--skip_bad_rows", description = "Skip malformed rows (counted) instead of stopping.") boolean skipBadRows;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!trainType.equals("full")) throw new IllegalArgumentException("--train_type " + trainType + " is not available for pt yet (only full)");
        if (!device.equals("cpu")) throw new IllegalArgumentException("--device " + device + ": training runs on the cpu backend only in this build");
        TrainArgs args = new TrainArgs(model, dataset.stream().map(DatasetSpec::parse).toList(), outputDir, optim, learningRate, scheduler,
                warmupRatio, weightDecay, maxGradNorm, maxSteps, epochs, batchSize, accumulation, maxLength, torchDtype, seed, saveSteps,
                loggingSteps, checkpointing, beta1, beta2, epsilon, momentum, skipBadRows);
        Path run = new PretrainingRun(args, System.out).run();
        System.out.println("done: " + run);
        return 0;
    }
}
