package io.jswift.cli;

import io.jswift.train.data.DatasetSpec;
import io.jswift.train.run.TrainArgs;
import io.jswift.train.run.TunerArgs;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** The flags every training command shares, named as ms-swift / HF TrainingArguments (picocli mixin). */
final class TrainingOptions {
    @Option(names = "--model", required = true, description = "Hugging Face model directory.") Path model;
    @Option(names = "--dataset", required = true, arity = "1..*", description = "JSONL / JSON files, FILE#N to sample N rows.") List<String> dataset;
    @Option(names = "--output_dir", defaultValue = "output", description = "Runs go to OUTPUT_DIR/vN-YYYYMMDD-HHMMSS (default: output).") Path outputDir;
    @Option(names = "--optim", defaultValue = "adamw", description = "adamw or sgd.") String optim;
    @Option(names = "--learning_rate", description = "Default 1e-4 for LoRA / DoRA, 1e-5 for full training (ms-swift).") Double learningRate;
    @Option(names = "--lr_scheduler_type", defaultValue = "cosine", description = "constant, constant_with_warmup, linear, cosine.") String scheduler;
    @Option(names = "--warmup_ratio", defaultValue = "0") double warmupRatio;
    @Option(names = "--warmup_steps", defaultValue = "0", description = "Overrides --warmup_ratio when > 0.") int warmupSteps;
    @Option(names = "--weight_decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--max_grad_norm", defaultValue = "1.0", description = "Global-norm clipping; 0 disables.") double maxGradNorm;
    @Option(names = "--max_steps", defaultValue = "-1") int maxSteps;
    @Option(names = "--num_train_epochs", defaultValue = "1") double epochs;
    @Option(names = "--per_device_train_batch_size", defaultValue = "1") int batchSize;
    @Option(names = "--per_device_eval_batch_size", defaultValue = "1") int evalBatchSize;
    @Option(names = "--gradient_accumulation_steps", defaultValue = "1") int accumulation;
    @Option(names = "--max_length", defaultValue = "2048") int maxLength;
    @Option(names = "--torch_dtype", description = "dtype of saved weights: float32, bfloat16, float16 (default: the model's).") String torchDtype;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--save_steps", defaultValue = "500") int saveSteps;
    @Option(names = "--save_total_limit", defaultValue = "-1", description = "Keep only the newest N checkpoints (default: all).") int saveTotalLimit;
    @Option(names = "--eval_steps", defaultValue = "0", description = "Evaluate every N steps (default: --save_steps).") int evalSteps;
    @Option(names = "--logging_steps", defaultValue = "5") int loggingSteps;
    @Option(names = "--gradient_checkpointing", arity = "0..1", fallbackValue = "true", defaultValue = "false") boolean checkpointing;
    @Option(names = "--adam_beta1", defaultValue = "0.9") double beta1;
    @Option(names = "--adam_beta2", defaultValue = "0.95") double beta2;
    @Option(names = "--adam_epsilon", defaultValue = "1e-8") double epsilon;
    @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum.") double momentum;
    @Option(names = "--skip_bad_rows", description = "Skip malformed rows (counted) instead of stopping.") boolean skipBadRows;
    @Option(names = "--resume_from_checkpoint", description = "checkpoint-STEP directory of an earlier run: continue it exactly.") Path resume;
    @Option(names = "--truncation_strategy", defaultValue = "delete", description = "Rows longer than --max_length: delete (skip, counted), left (keep the end), right (keep the start).") String truncation;
    @Option(names = "--packing", arity = "0..1", fallbackValue = "true", defaultValue = "false", description = "Pack several samples into each row of --max_length, attention isolated per sample.") boolean packing;
    @Option(names = "--val_dataset", arity = "1..*", description = "Validation files (FILE#N as --dataset).") List<String> valDataset;
    @Option(names = "--split_dataset_ratio", defaultValue = "0", description = "Share of each --dataset file held out for validation.") double splitRatio;
    @Option(names = "--device", defaultValue = "cpu", description = DeviceOption.DESCRIPTION) String device;
    @Option(names = "--router_aux_loss_coef", defaultValue = "0", description = "MoE models: add this times the router load-balancing loss "
            + "(transformers' load_balancing_loss_func) to each micro-batch's loss; 0 (default) adds none, whatever config.json says (ms-swift).")
    double routerAuxLossCoef;

    /** @param defaultLearningRate used when --learning_rate is not given */
    TrainArgs toArgs(double defaultLearningRate) {
        DeviceOption.open(device);
        return TrainArgs.builder(model, dataset.stream().map(DatasetSpec::parse).toList(), outputDir).optim(optim).learningRate(learningRate == null ? defaultLearningRate : learningRate)
                .lrSchedulerType(scheduler).warmupRatio(warmupRatio).warmupSteps(warmupSteps).weightDecay(weightDecay).maxGradNorm(maxGradNorm)
                .maxSteps(maxSteps).numTrainEpochs(epochs).perDeviceTrainBatchSize(batchSize).perDeviceEvalBatchSize(evalBatchSize)
                .gradientAccumulationSteps(accumulation).maxLength(maxLength).torchDtype(torchDtype).seed(seed).saveSteps(saveSteps)
                .saveTotalLimit(saveTotalLimit).evalSteps(evalSteps).loggingSteps(loggingSteps).gradientCheckpointing(checkpointing)
                .adamBeta1(beta1).adamBeta2(beta2).adamEpsilon(epsilon).momentum(momentum).skipBadRows(skipBadRows).resumeFromCheckpoint(resume)
                .truncationStrategy(truncation).packing(packing).splitDatasetRatio(splitRatio)
                .valDatasets(valDataset == null ? List.of() : valDataset.stream().map(DatasetSpec::parse).toList())
                .device(device).routerAuxLossCoef(routerAuxLossCoef).build();
    }

    /** The highest-step checkpoint-N directory of a run, or null. */
    static Path lastCheckpoint(Path run) throws java.io.IOException {
        try (var entries = java.nio.file.Files.list(run)) {
            return entries.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && java.nio.file.Files.isDirectory(p))
                    .max(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()))))
                    .orElse(null);
        }
    }

    /** After an adapter or full run: how to chat with its last checkpoint. */
    static void printChatHint(Path run, TunerArgs tuner, Path model) throws java.io.IOException {
        Path last = lastCheckpoint(run);
        if (last == null) return;
        System.out.println(tuner.isFull()
                ? "chat with it: ./jswift infer --model " + last
                : "chat with it: ./jswift infer --model " + model + " --adapters " + last);
    }
}
