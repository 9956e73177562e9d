package io.jswift.train.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.decoder.DecoderLm;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.DType;
import io.jswift.train.data.DatasetLoader;
import io.jswift.train.data.LocatedSample;
import io.jswift.train.data.Sample;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift pt}: full-parameter causal-LM training of a Hugging Face checkpoint on text rows (tokenized
 * with the model's tokenizer, eos appended) and pre-tokenized rows (loss on every labelled token); the loop,
 * checkpoints and resume are {@link Trainer}'s.
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
        List<Batch.Example> examples = examples(model.config(), tokenizerIfPresent(args.model()));
        DType saveType = args.torchDtype() == null ? model.config().dtype() : parseDtype(args.torchDtype());
        Trainer trainer = new Trainer("pt", args, model, new FullWeights(model, saveType, args.model()), null, argsJson(args), out);
        return trainer.run(ExampleSource.of(examples), null);
    }

    /** args.json: every field of the run's settings under its ms-swift / HF flag name. */
    static Map<String, Object> argsJson(TrainArgs args) {
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = new ObjectMapper().convertValue(args, Map.class);
        Map<String, Object> out = new LinkedHashMap<>();
        raw.forEach((k, v) -> out.put(snakeCase(k), v));
        return out;
    }

    private static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
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

    public static DType parseDtype(String name) {
        return switch (name) {
            case "float32", "fp32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32, bfloat16 or float16, got '" + name + "'");
        };
    }
}
