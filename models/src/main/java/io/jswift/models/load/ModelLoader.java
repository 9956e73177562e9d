package io.jswift.models.load;

import io.jswift.models.arch.Architecture;
import io.jswift.models.arch.Architectures;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.ModelConfig;
import io.jswift.nn.Module;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.CheckpointDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds a model from {@code config.json} with weightless (meta) parameters, by its architecture's assembly, then
 * assigns the checkpoint's memory-mapped tensors by their HF names, strictly: every missing, unexpected or mis-shaped
 * tensor is listed. Frozen weights keep their checkpoint dtype (bf16 stays bf16, not copied); trainable ones become
 * f32 master copies. A bitsandbytes 4-bit directory loads as it is: its packed Linears become 4-bit layers
 * ({@link Bnb4bitCheckpoint}).
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static LoadedModel load(Path dir, boolean trainable) throws IOException {
        return load(dir, trainable, null);
    }

    /**
     * As {@link #load(Path, boolean)}; a non-null {@code quantize} turns the Linears into bitsandbytes 4-bit layers
     * as they load (transformers' {@code load_in_4bit}: all but lm_head and the last module), one weight at a time from
     * the memory-mapped checkpoint. A directory already in bnb-4bit format keeps its own quantization (as transformers).
     */
    public static LoadedModel load(Path dir, boolean trainable, QuantConfig4bit quantize) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a directory (expected a Hugging Face model directory)");
        ConfigJson json = ConfigJson.read(dir.resolve("config.json"));
        Architecture arch = Architectures.of(json);
        ModelConfig config = arch.parser().parse(json);
        Map<String, Tensor> weights = new LinkedHashMap<>(arch.layout().toModule(CheckpointDir.load(dir), dir.toString()));
        // tied models reuse the embedding matrix; a stored lm_head copy is redundant (transformers ignores it too)
        if (config instanceof ModelConfig.Decoder d && d.config().tieWordEmbeddings()) weights.remove("lm_head.weight");
        if (config instanceof ModelConfig.VisionLanguage v && v.config().text().tieWordEmbeddings()) weights.remove("lm_head.weight");
        if (config instanceof ModelConfig.Decoder d && json.optInt("num_nextn_predict_layers", 0) > 0) dropMtpLayers(weights, d.config().numLayers());
        // Qwen3-Next checkpoints carry a multi-token-prediction module under mtp.*, which transformers skips on load
        // (Qwen3NextPreTrainedModel._keys_to_ignore_on_load_unexpected = [r"^mtp.*"]) and jswift too
        if (arch.hfName().startsWith("Qwen3Next")) weights.keySet().removeIf(name -> name.startsWith("mtp."));
        LoadedModel model = arch.assembly().assemble(config, weights.keySet(), null);
        Module m = model.module();
        m.requiresGrad(false);
        DType compute4bit = Bnb4bitCheckpoint.computeDtype(dir);
        if (compute4bit != null) {
            if (trainable) {
                throw new IllegalArgumentException(dir + " holds bitsandbytes 4-bit weights, which cannot be trained in full: "
                        + "train adapters on it (QLoRA: --train_type lora or dora)");
            }
            Bnb4bitCheckpoint.replaceQuantizedLinears(m, weights, compute4bit, dir.toString());
        }
        m.loadStateDict(weights, true, dir.toString());
        if (quantize != null && compute4bit == null) {
            if (trainable) {
                throw new IllegalArgumentException("4-bit quantized weights cannot be trained in full: train adapters on them (QLoRA: --train_type lora or dora)");
            }
            Bnb4bitCheckpoint.quantizeLinears(m, quantize);
        }
        if (trainable) m.requiresGrad(true);
        m.train(false);
        return model;
    }

    /**
     * Multi-token-prediction layers (GLM-4.5's num_nextn_predict_layers) are stored after the decoder's own as
     * model.layers.L, L+1, ...: transformers skips them (_keys_to_ignore_on_load_unexpected), and so does jswift.
     */
    private static void dropMtpLayers(Map<String, Tensor> weights, int layers) {
        weights.keySet().removeIf(name -> {
            if (!name.startsWith("model.layers.")) return false;
            String rest = name.substring("model.layers.".length());
            int dot = rest.indexOf('.');
            return dot > 0 && rest.substring(0, dot).chars().allMatch(Character::isDigit) && Integer.parseInt(rest.substring(0, dot)) >= layers;
        });
    }
}
