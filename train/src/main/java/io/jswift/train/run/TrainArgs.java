package io.jswift.train.run;

import io.jswift.tensor.Device;
import io.jswift.train.data.DatasetSpec;

import java.nio.file.Path;
import java.util.List;

/**
 * The optimisation and run settings shared by every trainer (HF TrainingArguments / ms-swift names in the
 * builder). Validated on construction so a bad flag fails before any model is loaded. Build with
 * {@link #builder(Path, List, Path)}; every field not set keeps the HF / ms-swift default.
 */
public record TrainArgs(
        Path model, List<DatasetSpec> datasets, Path outputDir,
        String optim,                 // adamw | sgd
        double learningRate, String lrSchedulerType, double warmupRatio, int warmupSteps, double weightDecay, double maxGradNorm,
        int maxSteps,                 // -1: derive from num_train_epochs
        double numTrainEpochs, int perDeviceTrainBatchSize, int perDeviceEvalBatchSize, int gradientAccumulationSteps, int maxLength,
        String torchDtype,            // null: the checkpoint's dtype for saving
        long seed, int saveSteps, int saveTotalLimit, int evalSteps, int loggingSteps, boolean gradientCheckpointing,
        double adamBeta1, double adamBeta2, double adamEpsilon, double momentum, boolean skipBadRows,
        Path resumeFromCheckpoint,     // null: a fresh run
        String truncationStrategy,     // delete | left | right (ms-swift)
        boolean packing, List<DatasetSpec> valDatasets, double splitDatasetRatio,
        String device,                 // cpu, opencl, opencl:1, ... (the model and every batch go there)
        double routerAuxLossCoef) {    // MoE models: weight of the router load-balancing loss (ms-swift); 0: none

    public TrainArgs {
        if (datasets.isEmpty()) throw new IllegalArgumentException("--dataset is required");
        if (!optim.equals("adamw") && !optim.equals("sgd")) throw new IllegalArgumentException("--optim must be adamw or sgd, got '" + optim + "'");
        if (!(learningRate > 0)) throw new IllegalArgumentException("--learning_rate must be > 0, got " + learningRate);
        if (perDeviceTrainBatchSize < 1) throw new IllegalArgumentException("--per_device_train_batch_size must be >= 1");
        if (perDeviceEvalBatchSize < 1) throw new IllegalArgumentException("--per_device_eval_batch_size must be >= 1");
        if (gradientAccumulationSteps < 1) throw new IllegalArgumentException("--gradient_accumulation_steps must be >= 1");
        if (maxLength < 2) throw new IllegalArgumentException("--max_length must be >= 2, got " + maxLength);
        if (maxSteps == 0 || (maxSteps < 0 && !(numTrainEpochs > 0))) {
            throw new IllegalArgumentException("give --max_steps > 0 or --num_train_epochs > 0");
        }
        if (maxGradNorm < 0) throw new IllegalArgumentException("--max_grad_norm must be >= 0 (0 disables clipping)");
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup_steps must be >= 0");
        if (saveSteps < 0 || loggingSteps < 1 || evalSteps < 0) {
            throw new IllegalArgumentException("--save_steps and --eval_steps must be >= 0 and --logging_steps >= 1");
        }
        if (saveTotalLimit == 0 || saveTotalLimit < -1) throw new IllegalArgumentException("--save_total_limit must be >= 1 (or omitted: keep all)");
        io.jswift.train.encode.Truncation.Strategy.parse(truncationStrategy);
        if (!(splitDatasetRatio >= 0 && splitDatasetRatio < 1)) throw new IllegalArgumentException("--split_dataset_ratio must be in [0, 1), got " + splitDatasetRatio);
        if (!(routerAuxLossCoef >= 0)) throw new IllegalArgumentException("--router_aux_loss_coef must be >= 0, got " + routerAuxLossCoef);
        datasets = List.copyOf(datasets);
        valDatasets = List.copyOf(valDatasets);
        device = Device.parse(device).toString();
    }

    /** The device to train on. */
    public Device targetDevice() { return Device.parse(device); }

    /** How the dataset files become rows: truncation, packing, validation split, vocabulary check. */
    public io.jswift.train.encode.EncodedDataset.Options datasetOptions(int vocabSize) {
        return new io.jswift.train.encode.EncodedDataset.Options(maxLength, io.jswift.train.encode.Truncation.Strategy.parse(truncationStrategy),
                packing, skipBadRows, seed, splitDatasetRatio, vocabSize);
    }

    /** Steps between evaluations: --eval_steps, else --save_steps (ms-swift), else --logging_steps. */
    public int effectiveEvalSteps() {
        return evalSteps > 0 ? evalSteps : saveSteps > 0 ? saveSteps : loggingSteps;
    }

    /** The same arguments with other per-device train and eval batch sizes (GRPO hands the loop prompts, not completions). */
    public TrainArgs withPerDeviceBatchSizes(int train, int eval) {
        return new TrainArgs(model, datasets, outputDir, optim, learningRate, lrSchedulerType, warmupRatio, warmupSteps, weightDecay, maxGradNorm,
                maxSteps, numTrainEpochs, train, eval, gradientAccumulationSteps, maxLength, torchDtype, seed, saveSteps,
                saveTotalLimit, evalSteps, loggingSteps, gradientCheckpointing, adamBeta1, adamBeta2, adamEpsilon, momentum, skipBadRows,
                resumeFromCheckpoint, truncationStrategy, packing, valDatasets, splitDatasetRatio, device, routerAuxLossCoef);
    }

    public static Builder builder(Path model, List<DatasetSpec> datasets, Path outputDir) {
        return new Builder(model, datasets, outputDir);
    }

    /** Mutable collector of flags with the defaults of ms-swift's `sft` / HF TrainingArguments. */
    public static final class Builder {
        private final Path model, outputDir;
        private final List<DatasetSpec> datasets;
        private String optim = "adamw", lrSchedulerType = "cosine", torchDtype;
        private double learningRate = 1e-5, warmupRatio = 0, weightDecay = 0.1, maxGradNorm = 1.0, numTrainEpochs = 1;
        private int warmupSteps = 0, maxSteps = -1, batch = 1, evalBatch = 1, accumulation = 1, maxLength = 2048;
        private long seed = 42;
        private int saveSteps = 500, saveTotalLimit = -1, evalSteps = 0, loggingSteps = 5;
        private boolean checkpointing, skipBadRows;
        private double beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8, momentum = 0;
        private Path resume;
        private String truncation = "delete";
        private boolean packing;
        private List<DatasetSpec> valDatasets = List.of();
        private double splitRatio = 0;
        private String device = "cpu";
        private double routerAuxLossCoef = 0;

        private Builder(Path model, List<DatasetSpec> datasets, Path outputDir) {
            this.model = model;
            this.datasets = datasets;
            this.outputDir = outputDir;
        }

        public Builder optim(String v) { optim = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder lrSchedulerType(String v) { lrSchedulerType = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder numTrainEpochs(double v) { numTrainEpochs = v; return this; }
        public Builder perDeviceTrainBatchSize(int v) { batch = v; return this; }
        public Builder perDeviceEvalBatchSize(int v) { evalBatch = v; return this; }
        public Builder gradientAccumulationSteps(int v) { accumulation = v; return this; }
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder torchDtype(String v) { torchDtype = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder saveSteps(int v) { saveSteps = v; return this; }
        public Builder saveTotalLimit(int v) { saveTotalLimit = v; return this; }
        public Builder evalSteps(int v) { evalSteps = v; return this; }
        public Builder loggingSteps(int v) { loggingSteps = v; return this; }
        public Builder gradientCheckpointing(boolean v) { checkpointing = v; return this; }
        public Builder adamBeta1(double v) { beta1 = v; return this; }
        public Builder adamBeta2(double v) { beta2 = v; return this; }
        public Builder adamEpsilon(double v) { epsilon = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder skipBadRows(boolean v) { skipBadRows = v; return this; }
        public Builder resumeFromCheckpoint(Path v) { resume = v; return this; }
        public Builder truncationStrategy(String v) { truncation = v; return this; }
        public Builder packing(boolean v) { packing = v; return this; }
        public Builder valDatasets(List<DatasetSpec> v) { valDatasets = v; return this; }
        public Builder splitDatasetRatio(double v) { splitRatio = v; return this; }
        public Builder device(String v) { device = v; return this; }
        public Builder routerAuxLossCoef(double v) { routerAuxLossCoef = v; return this; }

        public TrainArgs build() {
            return new TrainArgs(model, datasets, outputDir, optim, learningRate, lrSchedulerType, warmupRatio, warmupSteps, weightDecay,
                    maxGradNorm, maxSteps, numTrainEpochs, batch, evalBatch, accumulation, maxLength, torchDtype, seed, saveSteps,
                    saveTotalLimit, evalSteps, loggingSteps, checkpointing, beta1, beta2, epsilon, momentum, skipBadRows, resume, truncation,
                    packing, valDatasets, splitRatio, device, routerAuxLossCoef);
        }
    }
}
