package io.jswift.cli;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.adapter.PeftAdapterConfig;
import io.jswift.models.arch.Architectures;
import io.jswift.models.load.Bnb4bitExport;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.nn.quant.Linear4bit;
import io.jswift.nn.quant.QuantConfig4bit;
import io.jswift.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jswift export --adapters CKPT --merge_lora true}: ms-swift's merge of a LoRA / DoRA adapter into its base
 * model (PEFT's merge_and_unload), written as a Hugging Face model directory that transformers and jswift load.
 * {@code jswift export --model DIR --quant_method bnb --quant_bits 4}: the model quantized to bitsandbytes 4-bit,
 * written as transformers' save_pretrained writes a bnb-4bit model (default output {@code DIR-bnb-int4}, as ms-swift).
 */
@Command(name = "export", description = "Merge a LoRA adapter into its base model, or quantize a model to bnb 4-bit; write a Hugging Face model directory.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Base model directory (default: the adapter's base_model_name_or_path).") Path model;
    @Option(names = "--adapters", description = "LoRA adapter directory (PEFT format), e.g. a checkpoint of jswift sft.") Path adapters;
    @Mixin QuantOptions quant;
    @Option(names = "--merge_lora", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Merge the adapter into the base weights.") boolean mergeLora;
    @Option(names = "--output_dir", description = "New directory (default as ms-swift: ADAPTERS-merged, or MODEL-bnb-int4 when quantizing).") Path outputDir;
    @Option(names = "--torch_dtype", description = "dtype of the saved weights: float32, bfloat16, float16 (default: the base model's).") String torchDtype;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (quant.quantMethod != null) return quantize();
        if (adapters == null) throw new IllegalArgumentException("jswift export needs --adapters DIR --merge_lora true, or --model DIR --quant_method bnb --quant_bits 4");
        if (!mergeLora) throw new IllegalArgumentException("jswift export writes merged or quantized models: pass --merge_lora true (or --quant_method bnb)");
        Path base = AdapterBase.modelOrBase(model, adapters);
        Path out = outputDir != null ? outputDir : adapters.toAbsolutePath().normalize().resolveSibling(adapters.toAbsolutePath().normalize().getFileName() + "-merged");
        ModelWriter.requireEmpty(out); // before the slow part
        DType dtype = torchDtype != null ? parseDtype(torchDtype) : Architectures.readConfig(base).dtype();
        LoadedModel loaded = ModelLoader.load(base, false);
        if (loaded.module().namedModules().values().stream().anyMatch(m -> m instanceof Linear4bit)) {
            // ms-swift's merge_lora asserts the same ("quantized model and does not support merge-lora")
            throw new IllegalArgumentException(base + " is a bitsandbytes 4-bit model: merging an adapter into quantized weights is not supported "
                    + "(as in ms-swift); merge it into the full-precision model instead (--model DIR of the unquantized weights)");
        }
        // a SEQ_CLS adapter (a LoRA reward model) merges into the base's *ForSequenceClassification, its score head included
        Module module = PeftAdapter.apply(loaded, adapters, base).module();
        List<String> merged = LoraMerge.mergeAndUnload(module);
        ModelWriter.write(out, base, module, dtype);
        System.out.println("merged the adapter of " + merged.size() + " layers from " + adapters + " into " + base + "; wrote " + out
                + " (" + dtype.name().toLowerCase() + ")");
        return 0;
    }

    private Integer quantize() throws Exception {
        if (adapters != null || mergeLora) {
            throw new IllegalArgumentException("export quantizes a model or merges an adapter, not both at once: merge first, then quantize the merged model");
        }
        if (model == null) throw new IllegalArgumentException("--quant_method needs --model DIR");
        QuantConfig4bit config = quant.resolve(model, torchDtype);
        Path abs = model.toAbsolutePath().normalize();
        Path out = outputDir != null ? outputDir : abs.resolveSibling(abs.getFileName() + "-" + quant.quantMethod + "-int" + quant.quantBits);
        ModelWriter.requireEmpty(out); // before the slow part
        DType dtype = torchDtype != null ? parseDtype(torchDtype) : Architectures.readConfig(model).dtype();
        Module module = ModelLoader.load(model, false, config).module();
        Bnb4bitExport.write(out, model, module, config, dtype);
        System.out.println("quantized " + model + " to bnb 4-bit (" + config.type().jsonName() + (config.doubleQuant() ? ", double quant" : "")
                + ", compute " + config.computeDtype().name().toLowerCase() + "); wrote " + out);
        return 0;
    }

    private static DType parseDtype(String name) {
        return switch (name) {
            case "float32", "fp32" -> DType.F32;
            case "bfloat16", "bf16" -> DType.BF16;
            case "float16", "fp16" -> DType.F16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32, bfloat16 or float16, got '" + name + "'");
        };
    }
}
