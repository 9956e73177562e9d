package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.GradMode;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.optim.AdamW;
import io.jswift.train.optim.GradClip;
import io.jswift.train.optim.LrSchedule;
import io.jswift.train.optim.Optimizer;
import io.jswift.train.optim.ParamGroup;
import io.jswift.train.optim.Sgd;
import io.jswift.train.plot.TrainingPlots;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop every trainer shares ({@code jswift pt}, {@code sft}, {@code rlhf}): seeded data order,
 * gradient accumulation, clipping, the LR schedule, logging, evaluation, checkpoints with rotation, and exact
 * resume. What is optimized — collation, the normalizer of a step, the loss and its metrics — is the
 * {@link Objective}'s. A non-finite loss or gradient norm stops the run before the optimizer step, naming the step.
 *
 * <p>Resume restores the weights (full or adapter), the optimizer state, the step (hence the LR schedule), the
 * data position, the dropout generator's offset and the objective's own {@link Objective#state()}, so a resumed run
 * continues the same loss curve.
 */
public final class TrainingLoop<E> {
    private final RunSetup setup;
    private final TrainArgs args;
    private final Module model;
    private final Objective<E> objective;

    public TrainingLoop(RunSetup setup, Objective<E> objective) {
        this.setup = setup;
        this.args = setup.args();
        this.model = setup.model();
        this.objective = objective;
    }

    /** Trains on a loaded dataset (and its validation split, if any) after reporting what loading kept and dropped. */
    public static Path run(RunSetup setup, Objective<Encoded> objective, EncodedDataset.Splits data) throws IOException {
        EncodedDataset.Counts c = data.train().counts();
        setup.out().println(DatasetReport.line(c, data.train().packed(), setup.args().maxLength()));
        return new TrainingLoop<>(setup, objective).run(ExampleSource.of(data.train()), ExampleSource.of(data.validation()), c);
    }

    /**
     * Trains on {@code train}, evaluating on {@code eval} (may be null), and returns the run directory.
     * {@code datasetCounts} (may be null) goes to trainer_state.json.
     */
    public Path run(ExampleSource<E> train, ExampleSource<E> eval, EncodedDataset.Counts datasetCounts) throws IOException {
        if (train.size() == 0) throw new TrainingException("no training examples left after loading and filtering the dataset");
        int accumulation = args.gradientAccumulationSteps(), perStep = objective.examplesPerStep(args.perDeviceTrainBatchSize(), accumulation);
        if (perStep < 1) throw new IllegalArgumentException("a step must draw at least one example, got " + perStep);
        int iterations = objective.iterationsPerBatch();
        if (iterations < 1) throw new IllegalArgumentException("iterations per batch must be >= 1, got " + iterations);
        int stepsPerEpoch = Math.max(1, (train.size() + perStep - 1) / perStep) * iterations;
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
        TrainerState resumed = args.resumeFromCheckpoint() == null ? null : resume(args.resumeFromCheckpoint(), optimizer, order, history, totalSteps);
        long firstStep = resumed == null ? 0 : resumed.globalStep();

        Path runDir = RunDirectory.create(args.outputDir());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("args.json").toFile(), setup.argsJson());
        ProgressReporter progress = new ProgressReporter(setup.out(), ProgressReporter.isTerminal(setup.out()), totalSteps, firstStep);
        long trainableCount = 0;
        for (Parameter p : trainable.values()) trainableCount += p.numel();
        progress.message(String.format(Locale.ROOT, "jswift %s: %d examples%s, %d steps (%d per epoch), %d trainable of %d parameters (%.4f%%), run directory %s",
                setup.command(), train.size(), eval == null ? "" : " (+" + eval.size() + " for evaluation)", totalSteps, stepsPerEpoch, trainableCount,
                model.parameterCount(), 100.0 * trainableCount / model.parameterCount(), runDir));
        if (firstStep > 0) progress.message("resumed from " + args.resumeFromCheckpoint() + " at step " + firstStep);

        model.train(true);
        int evalEvery = args.effectiveEvalSteps();
        MetricsWindow metrics = new MetricsWindow();
        boolean unplotted = false; // rows logged since images/ was last drawn
        try (MetricsLog log = new MetricsLog(runDir.resolve("logging.jsonl"))) {
            // TRL's num_tokens: the real (attention-mask) tokens of every training micro-batch so far; a resumed run goes
            // on from its checkpoint's count (TRL restarts it at 0), so the curve continues as the loss curve does.
            long numTokens = resumed == null ? 0 : resumed.numInputTokensSeen();
            long tokensSinceLog = 0, lastSaved = -1;
            double lossSinceLog = 0;
            int stepsSinceLog = 0;
            long windowStart = System.nanoTime();
            List<List<E>> micro = null;
            for (long step = firstStep; step < totalSteps; step++) {
                optimizer.setLearningRate(schedule.learningRate(step));
                int iteration = (int) (step % iterations);
                if (iteration == 0 || micro == null) {
                    // resumed inside a cycle of iterations: draw that cycle's rows again (the objective starts it afresh)
                    if (iteration != 0) order.skipTo(order.consumed() - (long) perStep);
                    micro = new ArrayList<>();
                    for (int m = 0; m < accumulation; m++) {
                        List<E> rows = new ArrayList<>();
                        int from = (int) ((long) m * perStep / accumulation), to = (int) ((long) (m + 1) * perStep / accumulation);
                        for (int r = from; r < to; r++) rows.add(train.get(order.next()));
                        micro.add(rows);
                    }
                    iteration = 0;
                }
                double normalizer = objective.normalizer(micro, iteration);
                double loss = 0;
                for (List<E> rows : micro) {
                    Objective.Step s = objective.forward(rows, normalizer);
                    s.loss().backward();
                    loss += s.loss().value().item();
                    tokensSinceLog += s.tokens();
                    numTokens += s.tokens();
                    metrics.add(s.metrics());
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
                    row.put("num_tokens", numTokens);
                    row.putAll(metrics.drain(""));
                    row.put("epoch", order.epoch());
                    log.write(row);
                    unplotted = true;
                    history.add(row);
                    progress.line(String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  grad_norm %.3f  %.0f tok/s", done, totalSteps,
                            lossSinceLog / stepsSinceLog, optimizer.learningRate(), gradNorm, tokensSinceLog / seconds), done);
                    tokensSinceLog = 0;
                    lossSinceLog = 0;
                    stepsSinceLog = 0;
                    windowStart = System.nanoTime();
                }
                if (eval != null && (done % evalEvery == 0 || done == totalSteps)) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", done);
                    double evalLoss = evaluate(eval, row);
                    row.put("eval_num_tokens", numTokens); // TRL logs the training count in evaluation rows too
                    row.put("epoch", order.epoch());
                    log.write(row);
                    unplotted = true;
                    history.add(row);
                    progress.line(String.format(Locale.ROOT, "step %d/%d  eval_loss %.4f", done, totalSteps, evalLoss), done);
                }
                if ((args.saveSteps() > 0 && done % args.saveSteps() == 0) || done == totalSteps) {
                    TrainerState state = new TrainerState(done, order.epoch(), totalSteps, args.numTrainEpochs(), args.loggingSteps(),
                            args.saveSteps(), evalEvery, args.perDeviceTrainBatchSize(), args.seed(), order.consumed(),
                            setup.dropoutRng() == null ? 0 : setup.dropoutRng().offset(), numTokens, objective.state(), history, datasetCounts);
                    Path ckpt = CheckpointWriter.write(runDir, setup.weights(), optimizer, state, done);
                    for (Path gone : CheckpointRotation.enforce(runDir, args.saveTotalLimit())) progress.line("deleted " + gone + " (--save_total_limit)", done);
                    progress.line("saved " + ckpt, done);
                    plot(runDir, progress);
                    unplotted = false;
                    lastSaved = done;
                }
            }
            if (lastSaved < 0) progress.message("nothing left to train: the checkpoint is at step " + firstStep + " of " + totalSteps);
        } finally {
            // the last step is always saved (and drawn); a run stopped early (a non-finite loss) still gets its curves
            if (unplotted) plot(runDir, progress);
        }
        return runDir;
    }

    /** Redraws ms-swift's images/ folder from logging.jsonl; a problem is a warning line, never an error. */
    private static void plot(Path runDir, ProgressReporter progress) {
        for (String warning : TrainingPlots.write(runDir).warnings()) progress.message("warning: " + warning);
    }

    /**
     * eval_loss (and the objective's eval_ metrics) over {@code eval} into {@code row}, without gradients, in
     * evaluation mode (dropout off); returns eval_loss.
     */
    private double evaluate(ExampleSource<E> eval, Map<String, Object> row) {
        model.train(false);
        MetricsWindow metrics = new MetricsWindow();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double sum = 0, weight = 0;
            for (int start = 0; start < eval.size(); start += args.perDeviceEvalBatchSize()) {
                List<E> rows = new ArrayList<>();
                for (int i = start; i < Math.min(eval.size(), start + args.perDeviceEvalBatchSize()); i++) rows.add(eval.get(i));
                Objective.Evaluation e = objective.evaluate(rows);
                if (e.weight() == 0) continue;
                sum += e.lossTotal();
                weight += e.weight();
                metrics.add(e.metrics());
            }
            double loss = weight == 0 ? Double.NaN : sum / weight;
            row.put("eval_loss", loss);
            row.putAll(metrics.drain("eval_"));
            return loss;
        } finally {
            model.train(true);
        }
    }

    /** Restores weights, optimizer, data position and RNG from a checkpoint; returns its state (the step to continue from). */
    private TrainerState resume(Path ckpt, Optimizer optimizer, DataOrder order, List<Map<String, Object>> history, int totalSteps) throws IOException {
        if (!Files.isDirectory(ckpt)) throw new TrainingException("--resume_from_checkpoint " + ckpt + ": no such directory");
        TrainerState state = TrainerState.read(ckpt);
        if (state.seed() != args.seed()) {
            throw new TrainingException("--resume_from_checkpoint " + ckpt + " was trained with --seed " + state.seed() + " but this run has --seed "
                    + args.seed() + ": the data order would differ; give the same seed");
        }
        if (state.globalStep() > totalSteps) {
            throw new TrainingException("--resume_from_checkpoint " + ckpt + " is at step " + state.globalStep() + ", beyond this run's " + totalSteps + " steps");
        }
        setup.weights().restore(ckpt);
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
        if (setup.dropoutRng() != null) setup.dropoutRng().setOffset(state.rngOffset());
        objective.restore(state.objectiveState());
        history.addAll(state.logHistory());
        return state;
    }
}
