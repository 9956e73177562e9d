package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.autograd.Variable;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Parameter;
import io.jswift.tensor.DType;
import io.jswift.train.data.DatasetLoader;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Sample;
import io.jswift.train.optim.AdamW;
import io.jswift.train.optim.GradClip;
import io.jswift.train.optim.LrSchedule;
import io.jswift.train.optim.Optimizer;
import io.jswift.train.optim.ParamGroup;
import io.jswift.train.optim.Sgd;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code jswift pt}: full-parameter causal-LM training of a Hugging Face checkpoint on text rows (tokenized
 * with the model's tokenizer, eos appended) and pre-tokenized rows (loss on every labelled token). Gradient accumulation divides every micro-batch's summed loss by the
 * target count of the whole accumulated batch (HF's num_items_in_batch), so k micro-batches equal one batch
 * of k rows. A non-finite loss or gradient norm stops the run before the optimizer step, naming the step.
 */
public final class PretrainingRun {
    private final TrainArgs args;
    private final PrintStream out;

    public PretrainingRun(TrainArgs args, PrintStream out) {
        this.args = args;
        this.out = out;
    }

    /** Trains and returns the run directory. */
    public Path run() throws IOException {
        LoadedModel loaded = ModelLoader.load(args.model(), true);
        if (!(loaded instanceof LoadedModel.CausalLm lm)) {
            throw new IllegalArgumentException(args.model() + " is not a causal language model: jswift pt trains LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
        }
        DecoderLm model = lm.model();
        model.train(true);
        List<Batch.Example> examples = examples(model.config(), tokenizerIfPresent(args.model()));
        int perStep = args.perDeviceTrainBatchSize() * args.gradientAccumulationSteps();
        int stepsPerEpoch = Math.max(1, (examples.size() + perStep - 1) / perStep);
        int totalSteps = args.maxSteps() > 0 ? args.maxSteps() : (int) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
        LrSchedule schedule = new LrSchedule(LrSchedule.parse(args.lrSchedulerType()), args.learningRate(),
                LrSchedule.warmupFromRatio(args.warmupRatio(), totalSteps), totalSteps);
        Map<String, Parameter> params = model.namedParameters();
        List<ParamGroup> groups = ParamGroup.decayMatricesOnly(params, args.weightDecay());
        Optimizer optimizer = args.optim().equals("sgd")
                ? new Sgd(groups, args.learningRate(), args.momentum())
                : new AdamW(groups, args.learningRate(), args.adamBeta1(), args.adamBeta2(), args.adamEpsilon());
        DType saveType = args.torchDtype() == null ? model.config().dtype() : parseDtype(args.torchDtype());

        Path runDir = RunDirectory.create(args.outputDir());
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(runDir.resolve("args.json").toFile(), args);
        out.printf("jswift pt: %d examples, %d steps (%d per epoch), %d trainable parameters, run directory %s%n",
                examples.size(), totalSteps, stepsPerEpoch, model.parameterCount(), runDir);

        DataOrder order = new DataOrder(examples.size(), args.seed());
        try (MetricsLog log = new MetricsLog(runDir.resolve("logging.jsonl"))) {
            long tokensSinceLog = 0, start = System.nanoTime();
            for (int step = 0; step < totalSteps; step++) {
                optimizer.setLearningRate(schedule.learningRate(step));
                List<List<Batch.Example>> micro = new ArrayList<>();
                long targets = 0;
                for (int m = 0; m < args.gradientAccumulationSteps(); m++) {
                    List<Batch.Example> rows = new ArrayList<>();
                    for (int r = 0; r < args.perDeviceTrainBatchSize(); r++) rows.add(examples.get(order.next()));
                    micro.add(rows);
                    for (Batch.Example e : rows) targets += e.targets();
                }
                double loss = 0;
                for (List<Batch.Example> rows : micro) {
                    Batch batch = Batch.collate(rows);
                    Variable logits = model.forward(new DecoderInput(batch.inputIds(), null, null, null, args.gradientCheckpointing()));
                    Variable l = CausalLmLoss.apply(logits, batch.labels(), (double) Math.max(1, targets));
                    l.backward();
                    loss += l.value().item();
                    tokensSinceLog += batch.tokens();
                }
                if (!Double.isFinite(loss)) throw new TrainingException("step " + (step + 1) + ": loss is " + loss + "; stopped before writing a poisoned checkpoint");
                double gradNorm = GradClip.clip(params.values(), args.maxGradNorm());
                if (!Double.isFinite(gradNorm)) throw new TrainingException("step " + (step + 1) + ": gradient norm is " + gradNorm + "; stopped before writing a poisoned checkpoint");
                optimizer.step();
                optimizer.zeroGrad();
                int done = step + 1;
                if (done % args.loggingSteps() == 0 || done == totalSteps) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", done);
                    row.put("loss", loss);
                    row.put("lr", optimizer.learningRate());
                    row.put("grad_norm", gradNorm);
                    row.put("tokens_per_s", tokensSinceLog / Math.max(seconds, 1e-9));
                    row.put("epoch", (double) order.consumed() / examples.size());
                    log.write(row);
                    out.printf("step %d/%d  loss %.4f  lr %.3g  grad_norm %.3f  %.0f tok/s%n", done, totalSteps, loss, optimizer.learningRate(), gradNorm,
                            tokensSinceLog / Math.max(seconds, 1e-9));
                    tokensSinceLog = 0;
                    start = System.nanoTime();
                }
                if ((args.saveSteps() > 0 && done % args.saveSteps() == 0) || done == totalSteps) {
                    Map<String, Object> state = new LinkedHashMap<>();
                    state.put("global_step", done);
                    state.put("epoch", (double) order.consumed() / examples.size());
                    state.put("seed", args.seed());
                    state.put("examples_consumed", order.consumed());
                    Path ckpt = CheckpointWriter.write(runDir, args.model(), model, saveType, optimizer, state, done);
                    out.println("saved " + ckpt);
                }
            }
        }
        return runDir;
    }

    /** The model's tokenizer, or null when the directory has no tokenizer.json (pre-tokenized data only). */
    private static Tokenizer tokenizerIfPresent(Path dir) throws IOException {
        return java.nio.file.Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.fromDirectory(dir) : null;
    }

    private List<Batch.Example> examples(DecoderConfig config, Tokenizer tokenizer) {
        List<LocatedSample> rows = new DatasetLoader(args.skipBadRows(), args.seed()).load(args.datasets());
        List<Batch.Example> out = new ArrayList<>();
        for (LocatedSample s : rows) {
            switch (s.sample()) {
                case Sample.Tokenized t -> {
                    int n = Math.min(t.inputIds().length, args.maxLength());
                    int[] ids = java.util.Arrays.copyOf(t.inputIds(), n);
                    int[] labels = t.labels() == null ? ids.clone() : java.util.Arrays.copyOf(t.labels(), n);
                    for (int id : ids) {
                        if (id < 0 || id >= config.vocabSize()) {
                            throw new TrainingException(s.where() + ": token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                        }
                    }
                    out.add(new Batch.Example(ids, labels));
                }
                case Sample.Text t -> {
                    if (tokenizer == null) {
                        throw new TrainingException(s.where() + ": text rows need the model's tokenizer.json, which "
                                + args.model() + " does not have; give pre-tokenized rows {\"input_ids\": [...]}");
                    }
                    // text + eos, so the model learns where documents end (ms-swift's pt template)
                    int[] body = tokenizer.encode(t.text(), false);
                    Integer eos = tokenizer.specialTokens().eos();
                    int[] ids = java.util.Arrays.copyOf(body, body.length + (eos == null ? 0 : 1));
                    if (eos != null) ids[body.length] = eos;
                    ids = java.util.Arrays.copyOf(ids, Math.min(ids.length, args.maxLength()));
                    if (ids.length < 2) throw new TrainingException(s.where() + ": text row is too short to train on (" + ids.length + " token)");
                    out.add(new Batch.Example(ids, ids.clone()));
                }
                default -> throw new TrainingException(s.where() + ": jswift pt trains on text or pre-tokenized rows; "
                        + "conversations and preference rows are for jswift sft / rlhf");
            }
        }
        return out;
    }

    private static DType parseDtype(String name) {
        return switch (name) {
            case "float32", "fp32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32, bfloat16 or float16, got '" + name + "'");
        };
    }

    /** Seeded reshuffle each epoch (HF's RandomSampler); position = examples consumed so far. */
    static final class DataOrder {
        private final int n;
        private final long seed;
        private final List<Integer> order = new ArrayList<>();
        private long consumed;

        DataOrder(int n, long seed) {
            this.n = n;
            this.seed = seed;
        }

        int next() {
            int pos = (int) (consumed % n);
            if (pos == 0) {
                order.clear();
                for (int i = 0; i < n; i++) order.add(i);
                Collections.shuffle(order, new Random(seed + consumed / n));
            }
            consumed++;
            return order.get(pos);
        }

        long consumed() { return consumed; }
    }
}
