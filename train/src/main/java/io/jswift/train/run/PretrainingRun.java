package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.DType;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.PretrainEncoder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift pt}: full-parameter causal-LM training of a Hugging Face checkpoint on text rows (tokenized
 * with the model's tokenizer, eos appended) and pre-tokenized rows (loss on every labelled token); the loop,
 * checkpoints and resume are {@link TrainingLoop}'s, the loss {@link CausalLmObjective}'s.
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
            throw new IllegalArgumentException(args.model() + " is not a causal language model: jswift pt trains " + Architectures.supportedCausalLms());
        }
        CausalLm model = lm.model();
        model.to(args.targetDevice()); // loaded on the host (memory-mapped), then copied to the device as a whole
        EncodedDataset.Splits data = EncodedDataset.load(args.datasets(), args.valDatasets(), new PretrainEncoder(tokenizerIfPresent(args.model())),
                args.datasetOptions(model.config().vocabSize()));
        DType saveType = args.torchDtype() == null ? model.config().dtype() : parseDtype(args.torchDtype());
        RunSetup setup = new RunSetup("pt", args, model, new FullWeights(model, saveType, args.model()), null, argsJson(args), out);
        return TrainingLoop.run(setup, new CausalLmObjective(model, args.gradientCheckpointing(), args.routerAuxLossCoef(), w -> out.println("warning: " + w)), data);
    }

    /** args.json: every field of the run's settings under its ms-swift / HF flag name. */
    static Map<String, Object> argsJson(TrainArgs args) {
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = new ObjectMapper().convertValue(args, Map.class);
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> out.put(snakeCase(k), v));
        // paths and dataset specs as the user typed them, not as URIs / objects
        out.put("model", args.model().toString());
        out.put("output_dir", args.outputDir().toString());
        out.put("resume_from_checkpoint", args.resumeFromCheckpoint() == null ? null : args.resumeFromCheckpoint().toString());
        out.put("datasets", args.datasets().stream().map(PretrainingRun::specText).toList());
        out.put("val_datasets", args.valDatasets().stream().map(PretrainingRun::specText).toList());
        return out;
    }

    private static String specText(io.jswift.train.data.DatasetSpec s) {
        return s.file() + (s.sampleCount() == null ? "" : "#" + s.sampleCount());
    }

    private static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The model's tokenizer, or null when the directory has no tokenizer.json (pre-tokenized data only). */
    private static Tokenizer tokenizerIfPresent(Path dir) throws IOException {
        return java.nio.file.Files.exists(dir.resolve("tokenizer.json")) ? Tokenizer.fromDirectory(dir) : null;
    }

    public static DType parseDtype(String name) {
        return switch (name) {
            case "float32", "fp32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32, bfloat16 or float16, got '" + name + "'");
        };
    }
}
