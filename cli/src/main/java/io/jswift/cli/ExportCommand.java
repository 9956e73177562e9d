package io.jswift.cli;

import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.adapter.PeftAdapterConfig;
import io.jswift.models.arch.Architectures;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.Module;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code jswift export --adapters CKPT --merge_lora true}: ms-swift's merge of a LoRA / DoRA adapter into its base
 * model (PEFT's merge_and_unload), written as a Hugging Face model directory that transformers and jswift load.
 */
@Command(name = "export", description = "Merge a LoRA adapter into its base model and write a Hugging Face model directory.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Base model directory (default: the adapter's base_model_name_or_path).") Path model;
    @Option(names = "--adapters", required = true, description = "LoRA adapter directory (PEFT format), e.g. a checkpoint of jswift sft.") Path adapters;
    @Option(names = "--merge_lora", arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Merge the adapter into the base weights (required: the only export available).") boolean mergeLora;
    @Option(names = "--output_dir", description = "New directory for the merged model (default: ADAPTERS-merged, as ms-swift).") Path outputDir;
    @Option(names = "--torch_dtype", description = "dtype of the saved weights: float32, bfloat16, float16 (default: the base model's).") String torchDtype;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!mergeLora) throw new IllegalArgumentException("jswift export writes merged models only: pass --merge_lora true");
        Path base = AdapterBase.modelOrBase(model, adapters);
        Path out = outputDir != null ? outputDir : adapters.toAbsolutePath().normalize().resolveSibling(adapters.toAbsolutePath().normalize().getFileName() + "-merged");
        ModelWriter.requireEmpty(out); // before the slow part
        DType dtype = torchDtype != null ? parseDtype(torchDtype) : Architectures.readConfig(base).dtype();
        Module module = ModelLoader.load(base, false).module();
        PeftAdapter.load(adapters, module);
        List<String> merged = LoraMerge.mergeAndUnload(module);
        ModelWriter.write(out, base, module, dtype);
        System.out.println("merged the adapter of " + merged.size() + " layers from " + adapters + " into " + base + "; wrote " + out
                + " (" + dtype.name().toLowerCase() + ")");
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
