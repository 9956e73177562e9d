package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.encode.Batch;
import io.jswift.train.encode.Collator;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.optim.AdamW;
import io.jswift.train.optim.GradClip;
import io.jswift.train.optim.LrSchedule;
import io.jswift.train.optim.Optimizer;
import io.jswift.train.optim.ParamGroup;
import io.jswift.train.optim.Sgd;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop every causal-LM trainer shares ({@code jswift pt}, {@code jswift sft}): seeded data order,
 * gradient accumulation, clipping, the LR schedule, logging, evaluation, checkpoints with rotation, and exact
 * resume. Gradient accumulation divides every micro-batch's summed loss by the target count of the whole
 * accumulated batch (HF's num_items_in_batch), so k micro-batches equal one batch of k rows. A non-finite loss
 * or gradient norm stops the run before the optimizer step, naming the step.
 *
 * <p>Resume restores the weights (full or adapter), the optimizer state, the step (hence the LR schedule), the
 * data position and the dropout generator's offset, so a resumed run continues the same loss curve.
 */
public final class Trainer {
    private final String command;
    private final TrainArgs args;
    private final CausalLm model;
    private final TrainedWeights weights;
    private final Generator dropoutRng;
    private final Map<String, Object> argsJson;
    private final PrintStream out;
    private EncodedDataset.Counts datasetCounts; // for trainer_state.json, when known

    /**
     * @param dropoutRng the generator every dropout of the model draws from (its offset is checkpointed)
     * @param argsJson   what goes to {@code args.json} (all flags of the command, ms-swift style)
     */
    public Trainer(String command, TrainArgs args, CausalLm model, TrainedWeights weights, Generator dropoutRng,
                   Map<String, Object> argsJson, PrintStream out) {
        this.command = command;
        this.args = args;
        this.model = model;
        this.weights = weights;
        this.dropoutRng = dropoutRng;
        this.argsJson = argsJson;
        this.out = out;
    }

    /** Trains on a loaded dataset (and its validation split, if any) after reporting what loading kept and dropped. */
    public Path run(EncodedDataset.Splits data) throws IOException {
        EncodedDataset.Counts c = data.train().counts();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "dataset: %d samples, %d tokens", c.samples(), c.tokens()));
        if (data.train().packed()) line.append(String.format(Locale.ROOT, ", packed into %d rows of up to %d tokens", c.rows(), args.maxLength()));
        if (c.badRows() > 0) line.append(String.format(Locale.ROOT, "; skipped %d bad rows (--skip_bad_rows)", c.badRows()));
        if (c.deletedRows() > 0) line.append(String.format(Locale.ROOT, "; dropped %d rows longer than --max_length %d", c.deletedRows(), args.maxLength()));
        if (c.truncatedRows() > 0) line.append(String.format(Locale.ROOT, "; truncated %d rows to --max_length %d", c.truncatedRows(), args.maxLength()));
        if (c.noTargetRows() > 0) line.append(String.format(Locale.ROOT, "; dropped %d rows without any trained token", c.noTargetRows()));
        out.println(line);
        datasetCounts = c;
        return run(ExampleSource.of(data.train()), ExampleSource.of(data.validation()));
    }

    /** Trains on {@code train}, evaluating on {@code eval} (may be null), and returns the run directory. */
    public Path run(ExampleSource train, ExampleSource eval) throws IOException {
        if (train.size() == 0) throw new TrainingException("no training examples left after loading and filtering the dataset");
        int perStep = args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps();
        int stepsPerEpoch = Math.max(1, (train.size() + perStep - 1) / perStep);
        int totalSteps = args.maxSteps() > 0 ? args.maxSteps() : (int) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
        int warmup = args.warmupSteps() > 0 ? args.warmupSteps() : LrSchedule.warmupFromRatio(args.warmupRatio(), totalSteps);
        LrSchedule schedule = new LrSchedule(LrSchedule.parse(args.lrSchedulerType()), args.learningRate(), warmup, totalSteps);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> { if (p.requiresGrad()) trainable.put(n, p); });
        if (trainable.isEmpty()) throw new TrainingException("the model has no trainable parameters");
        List<ParamGroup> groups = ParamGroup.decayMatricesOnly(trainable, args.weightDecay());
        Optimizer optimizer = args.optim().equals("sgd")
                ? new Sgd(groups, args.learningRate(), args.momentum())
                : new AdamW(groups, args.learningRate(), args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
        DataOrder order = new DataOrder(train.size(), args.seed());
        List<Map<String, Object>> history = new ArrayList<>();
        long firstStep = 0;
        if (args.resumeFromCheckpoint() != null) firstStep = resume(args.resumeFromCheckpoint(), optimizer, order, history, totalSteps);

        Path runDir = RunDirectory.create(args.outputDir());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("args.json").toFile(), argsJson);
        ProgressReporter progress = new ProgressReporter(out, ProgressReporter.isTerminal(out), totalSteps, firstStep);
        long trainableCount = 0;
        for (Parameter p : trainable.values()) trainableCount += p.numel();
        progress.message(String.format(Locale.ROOT, "jswift %s: %d examples%s, %d steps (%d per epoch), %d trainable of %d parameters (%.4f%%), run directory %s",
                command, train.size(), eval == null ? "" : " (+" + eval.size() + " for evaluation)", totalSteps, stepsPerEpoch, trainableCount,
                model.parameterCount(), 100.0 * trainableCount / model.parameterCount(), runDir));
        if (firstStep > 0) progress.message("resumed from " + args.resumeFromCheckpoint() + " at step " + firstStep);

        model.train(true);
        Device device = model.device(); // the run moved the model there; batches are collated on the host and follow
        int evalEvery = args.effectiveEvalSteps();
        try (MetricsLog log = new MetricsLog(runDir.resolve("logging.jsonl"))) {
            long tokensSinceLog = 0, lastSaved = -1;
            double lossSinceLog = 0;
            int stepsSinceLog = 0;
            long windowStart = System.nanoTime();
            for (long step = firstStep; step < totalSteps; step++) {
                optimizer.setLearningRate(schedule.learningRate(step));
                List<List<Encoded>> micro = new ArrayList<>();
                long targets = 0;
                for (int m = 0; m < args.gradientAccumulationSteps(); m++) {
                    List<Encoded> rows = new ArrayList<>();
                    for (int r = 0; r < args.perDeviceTrainBatchSize(); r++) rows.add(train.get(order.next()));
                    micro.add(rows);
                    for (Encoded e : rows) targets += e.targets();
                }
                double loss = 0;
                for (List<Encoded> rows : micro) {
                    Batch batch = Collator.collate(rows).to(device);
                    Variable l = model.causalLmLoss(batch.decoderInput(args.gradientCheckpointing()), batch.labels(), Math.max(1, targets));
                    l.backward();
                    loss += l.value().item();
                    tokensSinceLog += batch.tokens();
                }
                long done = step + 1;
                if (!Double.isFinite(loss)) throw new TrainingException("step " + done + ": loss is " + loss + "; stopped before writing a poisoned checkpoint");
                double gradNorm = GradClip.clip(trainable.values(), args.maxGradNorm());
                if (!Double.isFinite(gradNorm)) throw new TrainingException("step " + done + ": gradient norm is " + gradNorm + "; stopped before writing a poisoned checkpoint");
                optimizer.step();
                optimizer.zeroGrad();
                lossSinceLog += loss;
                stepsSinceLog++;
                progress.stepDone(done, loss);
                if (done % args.loggingSteps() == 0 || done == totalSteps) {
                    double seconds = Math.max((System.nanoTime() - windowStart) / 1e9, 1e-9);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", done);
                    row.put("loss", lossSinceLog / stepsSinceLog);
                    row.put("lr", optimizer.learningRate());
                    row.put("grad_norm", gradNorm);
                    row.put("tokens_per_s", tokensSinceLog / seconds);
                    row.put("epoch", order.epoch());
                    log.write(row);
                    history.add(row);
                    progress.line(String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  grad_norm %.3f  %.0f tok/s", done, totalSteps,
                            lossSinceLog / stepsSinceLog, optimizer.learningRate(), gradNorm, tokensSinceLog / seconds), done);
                    tokensSinceLog = 0;
                    lossSinceLog = 0;
                    stepsSinceLog = 0;
                    windowStart = System.nanoTime();
                }
                if (eval != null && (done % evalEvery == 0 || done == totalSteps)) {
                    double evalLoss = evaluate(eval);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", done);
                    row.put("eval_loss", evalLoss);
                    row.put("epoch", order.epoch());
                    log.write(row);
                    history.add(row);
                    progress.line(String.format(Locale.ROOT, "step %d/%d  eval_loss %.4f", done, totalSteps, evalLoss), done);
                }
                if ((args.saveSteps() > 0 && done % args.saveSteps() == 0) || done == totalSteps) {
                    TrainerState state = new TrainerState(done, order.epoch(), totalSteps, args.numTrainEpochs(), args.loggingSteps(),
                            args.saveSteps(), evalEvery, args.perDeviceTrainBatchSize(), args.seed(), order.consumed(),
                            dropoutRng == null ? 0 : dropoutRng.offset(), history, datasetCounts);
                    Path ckpt = CheckpointWriter.write(runDir, weights, optimizer, state, done);
                    for (Path gone : CheckpointRotation.enforce(runDir, args.saveTotalLimit())) progress.line("deleted " + gone + " (--save_total_limit)", done);
                    progress.line("saved " + ckpt, done);
                    lastSaved = done;
                }
            }
            if (lastSaved < 0) progress.message("nothing left to train: the checkpoint is at step " + firstStep + " of " + totalSteps);
        }
        return runDir;
    }

    /** Mean loss per target token over {@code eval}, without gradients, in evaluation mode (dropout off). */
    private double evaluate(ExampleSource eval) {
        model.train(false);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double sum = 0;
            long targets = 0;
            for (int start = 0; start < eval.size(); start += args.perDeviceEvalBatchSize()) {
                List<Encoded> rows = new ArrayList<>();
                for (int i = start; i < Math.min(eval.size(), start + args.perDeviceEvalBatchSize()); i++) rows.add(eval.get(i));
                Batch batch = Collator.collate(rows);
                if (batch.targets() == 0) continue;
                batch = batch.to(model.device());
                sum += model.causalLmLoss(batch.decoderInput(false), batch.labels(), 1.0).value().item();
                targets += batch.targets();
            }
            return targets == 0 ? Double.NaN : sum / targets;
        } finally {
            model.train(true);
        }
    }

    /** Restores weights, optimizer, data position and RNG from a checkpoint; returns the step to continue from. */
    private long resume(Path ckpt, Optimizer optimizer, DataOrder order, List<Map<String, Object>> history, int totalSteps) throws IOException {
        if (!Files.isDirectory(ckpt)) throw new TrainingException("--resume_from_checkpoint " + ckpt + ": no such directory");
        TrainerState state = TrainerState.read(ckpt);
        if (state.seed() != args.seed()) {
            throw new TrainingException("--resume_from_checkpoint " + ckpt + " was trained with --seed " + state.seed() + " but this run has --seed "
                    + args.seed() + ": the data order would differ; give the same seed");
        }
        if (state.globalStep() > totalSteps) {
            throw new TrainingException("--resume_from_checkpoint " + ckpt + " is at step " + state.globalStep() + ", beyond this run's " + totalSteps + " steps");
        }
        weights.restore(ckpt);
        Path optimizerFile = ckpt.resolve("optimizer.safetensors");
        if (!Files.isRegularFile(optimizerFile)) throw new TrainingException("--resume_from_checkpoint " + ckpt + ": no optimizer.safetensors");
        SafetensorsFile saved = SafetensorsFile.open(optimizerFile);
        Map<String, Tensor> optimizerState = new LinkedHashMap<>();
        for (String name : saved.names()) optimizerState.put(name, saved.tensor(name));
        long optimizerSteps;
        try {
            optimizerSteps = Long.parseLong(saved.metadata().getOrDefault("step", Long.toString(state.globalStep())));
        } catch (NumberFormatException e) {
            throw new TrainingException(optimizerFile + ": metadata 'step' is not a number");
        }
        try {
            optimizer.loadStateDict(optimizerState, optimizerSteps);
        } catch (IllegalArgumentException e) {
            throw new TrainingException(optimizerFile + ": " + e.getMessage() + " (was the checkpoint made with other --optim / --train_type settings?)");
        }
        order.skipTo(state.examplesConsumed());
        if (dropoutRng != null) dropoutRng.setOffset(state.rngOffset());
        history.addAll(state.logHistory());
        return state.globalStep();
    }
}
