package io.jswift.cli;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.vision.Qwen2VlPrompts;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jswift logits}: runs a model once and writes float32 {@code logits} to a safetensors file:
 * [seq, vocab] for causal LMs from token ids or a conversation, [num_labels] for image classifiers from pixel values and for
 * sequence classifiers (a reward model's [1] is its score, also printed).
 */
@Command(name = "logits", description = "Write the logits of one forward pass to a safetensors file.")
final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Hugging Face model directory (default with --adapters: the adapter's base model).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--input_ids", description = "Comma-separated token ids, e.g. 1,2,3 (causal LMs).")
        String inputIds;

        @Option(names = "--pixel_values", description = "safetensors file holding one tensor [1, C, H, W] (image classifiers).")
        Path pixelValues;

        @Option(names = "--messages", description = "JSON file: a messages list (or {\"messages\": [...]}), encoded with the model's chat template "
                + "as sft / rlhf encode a conversation (causal LMs, reward models). For a vision-language model: contents may hold image "
                + "parts or <image> tags (with \"images\" or --images), encoded as its processor does, with the generation prompt when "
                + "the last message is the user's.")
        Path messages;
    }

    @Option(names = "--images", arity = "1..*", description = "Image files for the --messages' <image> tags (vision-language models).")
    List<String> images;

    @Option(names = "--adapters", description = "LoRA adapter directory (PEFT format).")
    Path adapters;

    @Option(names = "--output", required = true, description = "Output .safetensors file (tensor \"logits\").")
    Path output;

    @Option(names = "--device", defaultValue = "cpu", description = DeviceOption.DESCRIPTION)
    String device;

    @Mixin
    QuantOptions quant;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Device dev = DeviceOption.open(device);
        model = AdapterBase.modelOrBase(model, adapters);
        LoadedModel loaded = ModelToRun.load(model, adapters, quant, dev);
        Tensor logits;
        try (var s = GradMode.noGrad()) {
            logits = switch (loaded) {
                case LoadedModel.CausalLm lm when lm.model().acceptsImages() && input.messages != null -> {
                    Qwen2VlPrompts.Encoded e = visionPrompt();
                    Tensor out = lm.model().forward(DecoderInput.of(longs(e.ids()).reshape(1, -1).to(dev)), e.images(), 0).value();
                    yield out.reshape(out.size(1), out.size(2));
                }
                case LoadedModel.CausalLm lm -> {
                    if (images != null) throw new IllegalArgumentException("--images: " + lm.model().config().architecture() + " is a text-only model");
                    Tensor out = lm.model().forward(DecoderInput.of(tokenIds("a causal LM").reshape(1, -1).to(dev))).value();
                    yield out.reshape(out.size(1), out.size(2));
                }
                case LoadedModel.SequenceClassifier cls -> {
                    // [1, L] pooled at the last non-pad token; a reward model's L = 1 is its score
                    Tensor out = cls.model().forward(DecoderInput.of(tokenIds("a sequence classifier").reshape(1, -1).to(dev))).value();
                    Tensor scores = out.reshape(out.size(1)).to(Device.CPU);
                    if (scores.size(0) == 1) System.out.println("score: " + scores.toFloatArray()[0]);
                    yield scores;
                }
                case LoadedModel.VitClassifier vit -> {
                    if (input.pixelValues == null) throw new IllegalArgumentException(model + " is an image classifier: give --pixel_values, not --input_ids / --messages");
                    Tensor out = vit.model().forward(Variable.constant(readPixels(input.pixelValues).to(dev))).value();
                    yield out.reshape(out.size(1));
                }
                case LoadedModel.Vit vit -> throw new IllegalArgumentException(model + " is a ViTModel without a classification head: "
                        + "jswift logits needs ViTForImageClassification (a checkpoint with classifier.weight)");
            };
        }
        SafetensorsWriter.write(output, Map.of("logits", logits.to(Device.CPU).to(DType.F32)), Map.of("format", "pt"));
        System.out.println("wrote logits " + Arrays.toString(logits.shape()) + " to " + output);
        return 0;
    }

    /** --messages (+ --images) as the model's processor encodes them; the generation prompt follows a last user message. */
    private Qwen2VlPrompts.Encoded visionPrompt() throws java.io.IOException {
        MessagesFile file = MessagesFile.read(input.messages, images);
        List<Map<String, Object>> msgs = file.withImages();
        boolean lastIsUser = !msgs.isEmpty() && "user".equals(msgs.get(msgs.size() - 1).get("role"));
        return Qwen2VlPrompts.fromDirectory(model).encode(msgs, lastIsUser, file.tools(), file.baseDir());
    }

    private static Tensor longs(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) wide[i] = ids[i];
        return Tensor.ofLongs(wide, wide.length);
    }

    /** The token ids of --input_ids, or of --messages encoded as training encodes a conversation. */
    private Tensor tokenIds(String what) throws java.io.IOException {
        if (input.pixelValues != null) throw new IllegalArgumentException(model + " is " + what + ": give --input_ids or --messages, not --pixel_values");
        if (input.inputIds != null) return parseIds(input.inputIds);
        return longs(ConversationIds.encode(model, input.messages));
    }

    static Tensor parseIds(String text) {
        String[] parts = text.split(",");
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--input_ids: '" + parts[i].trim() + "' (position " + i + ") is not an integer; expected e.g. 1,2,3");
            }
            if (ids[i] < 0) throw new IllegalArgumentException("--input_ids: token id " + ids[i] + " at position " + i + " is negative");
        }
        return Tensor.ofLongs(ids, ids.length);
    }

    private static Tensor readPixels(Path file) throws java.io.IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        if (f.names().size() != 1) {
            throw new IllegalArgumentException(file + ": expected exactly one tensor [1, C, H, W], found " + f.names());
        }
        Tensor t = f.tensor(f.names().get(0));
        if (t.rank() != 4 || t.size(0) != 1) {
            throw new IllegalArgumentException(file + ": pixel values must be [1, C, H, W], got " + Arrays.toString(t.shape()));
        }
        return t.dtype() == DType.F32 ? t : t.to(DType.F32);
    }
}
