package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.config.ConfigJson;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.ModelConfig;
import io.jswift.models.CausalLm;
import io.jswift.models.arch.Architectures;
import io.jswift.models.decoder.DecoderInit;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jswift new-model}: a randomly initialized causal LM in Hugging Face layout, as transformers'
 * {@code AutoModelForCausalLM.from_config(config).save_pretrained(dir)} writes it: config.json (the given file,
 * unchanged), model.safetensors in the config's dtype, generation_config.json with the config's token ids
 * ({@code GenerationConfig.from_model_config}), plus the tokenizer files of {@code --tokenizer_dir}.
 */
@Command(name = "new-model", description = "Write a randomly initialized model (HF init) from a config.json, ready for jswift pt.")
final class NewModelCommand implements Callable<Integer> {
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json");

    @Option(names = "--config", required = true, description = "A config.json whose architectures[0] is a supported causal LM (README lists them).") Path config;
    @Option(names = "--output_dir", required = true, description = "Model directory to write.") Path outputDir;
    @Option(names = "--tokenizer_dir", description = "Directory whose tokenizer files are copied in (its tokenizer must fit vocab_size).") Path tokenizerDir;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the weight initialization (default: 42).") long seed;
    @Option(names = "--verbose", description = "Print stack traces on errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!(Architectures.readConfigFile(config) instanceof ModelConfig.Decoder decoder)) {
            throw new IllegalArgumentException(config + ": new-model makes causal LMs (" + Architectures.supportedCausalLms() + ")");
        }
        DecoderConfig c = decoder.config();
        // transformers: std = config.initializer_range or 0.02
        double std = ConfigJson.read(config).optDouble("initializer_range", 0.02);
        if (!(std > 0)) std = 0.02;
        List<String> copied = tokenizerDir == null ? List.of() : tokenizerFiles(c);

        CausalLm model = DecoderInit.initialize(Architectures.newCausalLm(c, null), std, new Generator(seed));
        Map<String, Tensor> weights = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> weights.put(name, t.to(c.dtype())));
        Files.createDirectories(outputDir);
        SafetensorsWriter.write(outputDir.resolve("model.safetensors"), Architectures.layoutOf(model).toCheckpoint(weights), Map.of("format", "pt"));
        Files.copy(config, outputDir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        writeGenerationConfig(new ObjectMapper().readTree(config.toFile()));
        for (String f : copied) Files.copy(tokenizerDir.resolve(f), outputDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);

        System.out.printf("wrote %s: %s, %d parameters (%s, N(0, %s), seed %d)%s%n", outputDir, c.architecture(),
                model.parameterCount(), c.dtype().name().toLowerCase(), std, seed, copied.isEmpty() ? "" : ", tokenizer files " + copied);
        return 0;
    }

    /** The tokenizer files present in --tokenizer_dir, after checking that its ids fit the embedding matrix. */
    private List<String> tokenizerFiles(DecoderConfig c) throws java.io.IOException {
        if (!Files.isRegularFile(tokenizerDir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("--tokenizer_dir " + tokenizerDir + " has no tokenizer.json");
        }
        int size = Tokenizer.fromDirectory(tokenizerDir).vocabSize();
        if (size > c.vocabSize()) {
            throw new IllegalArgumentException(tokenizerDir.resolve("tokenizer.json") + ": " + size + " token ids do not fit vocab_size "
                    + c.vocabSize() + " of " + config);
        }
        List<String> out = new ArrayList<>();
        for (String f : TOKENIZER_FILES) if (Files.isRegularFile(tokenizerDir.resolve(f))) out.add(f);
        return out;
    }

    /** GenerationConfig.from_model_config: the config's bos / eos / pad token ids, as written there. */
    private void writeGenerationConfig(JsonNode cfg) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode g = json.createObjectNode();
        g.put("_from_model_config", true);
        for (String key : List.of("bos_token_id", "eos_token_id", "pad_token_id")) {
            if (cfg.hasNonNull(key)) g.set(key, cfg.get(key));
        }
        json.writerWithDefaultPrettyPrinter().writeValue(outputDir.resolve("generation_config.json").toFile(), g);
    }
}
