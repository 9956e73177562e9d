package io.jswift.train.run;

import io.jswift.train.data.DatasetSpec;

import java.nio.file.Path;
import java.util.List;

/**
 * The settings of one training run, with HF / ms-swift names in comments. Validated on construction so a
 * bad flag fails before any model is loaded.
 */
public record TrainArgs(
        Path model, List<DatasetSpec> datasets, Path outputDir,
        String optim,                 // adamw | sgd
        double learningRate, String lrSchedulerType, double warmupRatio, double weightDecay, double maxGradNorm,
        int maxSteps,                 // -1: derive from num_train_epochs
        double numTrainEpochs, int perDeviceTrainBatchSize, int gradientAccumulationSteps, int maxLength,
        String torchDtype,            // null: the checkpoint's dtype for saving
        long seed, int saveSteps, int loggingSteps, boolean gradientCheckpointing,
        double adamBeta1, double adamBeta2, double adamEpsilon, double momentum, boolean skipBadRows) {

    public TrainArgs {
        if (datasets.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!optim.equals("adamw") && !optim.equals("sgd")) throw new IllegalArgumentException("--optim must be adamw or sgd, got '" + optim + "'");
        if (!(learningRate > 0)) throw new IllegalArgumentException("--learning_rate must be > 0, got " + learningRate);
        if (perDeviceTrainBatchSize < 1) throw new IllegalArgumentException("--per_device_train_batch_size must be >= 1");
        if (gradientAccumulationSteps < 1) throw new IllegalArgumentException("--gradient_accumulation_steps must be >= 1");
        if (maxLength < 2) throw new IllegalArgumentException("--max_length must be >= 2, got " + maxLength);
        if (maxSteps == 0 || (maxSteps < 0 && !(numTrainEpochs > 0))) {
            throw new IllegalArgumentException("give --max_steps > 0 or --num_train_epochs > 0");
        }
        if (maxGradNorm < 0) throw new IllegalArgumentException("--max_grad_norm must be >= 0 (0 disables clipping)");
        if (saveSteps < 0 || loggingSteps < 1) throw new IllegalArgumentException("--save_steps must be >= 0 and --logging_steps >= 1");
        datasets = List.copyOf(datasets);
    }
}
