package io.jswift.models.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a model's generation_config.json says about sampling and ending a reply (HF GenerationConfig). Absent
 * keys are null. The defaults rule (one place): without {@code do_sample} a reply is greedy; with it the file's
 * temperature / top_p / top_k apply (1.0 / 1.0 / off when missing); its repetition_penalty applies either way.
 */
public record GenerationConfig(boolean doSample, Double temperature, Double topP, Integer topK, Double repetitionPenalty,
                               List<Integer> eosTokenIds) {
    public static final String FILE = "generation_config.json";

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** No generation_config.json: greedy, no penalty, no extra eos. */
    public static GenerationConfig none() {
        return new GenerationConfig(false, null, null, null, null, List.of());
    }

    /** generation_config.json of {@code modelDir}, or {@link #none()} when the model has none. */
    public static GenerationConfig read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE);
        if (!Files.exists(file)) return none();
        JsonNode g;
        try {
            g = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        List<Integer> eos = new ArrayList<>();
        JsonNode e = g.get("eos_token_id"); // an int or a list of ints, as HF allows
        if (e != null && e.isInt()) eos.add(e.asInt());
        if (e != null && e.isArray()) for (JsonNode x : e) eos.add(x.asInt());
        return new GenerationConfig(g.path("do_sample").asBoolean(false), number(g, "temperature"), number(g, "top_p"),
                g.hasNonNull("top_k") ? g.get("top_k").asInt() : null, number(g, "repetition_penalty"), eos);
    }

    private static Double number(JsonNode g, String key) {
        return g.hasNonNull(key) ? g.get(key).asDouble() : null;
    }

    /** Sampling as this file sets it, for {@code maxNewTokens} new tokens from {@code seed}; requests override with {@code with*}. */
    public SamplingParams defaults(int maxNewTokens, long seed) {
        double t = doSample ? orElse(temperature, 1.0) : 0;
        double p = doSample ? orElse(topP, 1.0) : 1.0;
        int k = doSample && topK != null ? topK : 0;
        return new SamplingParams(maxNewTokens, t, k, p, orElse(repetitionPenalty, 1.0), seed, List.of());
    }

    private static double orElse(Double v, double fallback) {
        return v != null ? v : fallback;
    }
}
